// Trace replay of the control-plane actors: each recorded actor's inbound messages are fed to a
// fresh instance on a simulated clock, and what it publishes must equal what it published.

import { beforeAll, describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { jobMasterMachine } from "../../src/actors/job-master.ts";
import { workerMachine } from "../../src/actors/worker.ts";
import { subtaskMachine } from "../../src/actors/subtask.ts";
import { createJobLoader } from "../../src/cluster/job-loader.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import type { DeployTask, RegisterWorker, SubmitJob } from "../../src/messages/schema.ts";
import { MetricRegistry, replayActor, silentLogger, type TraceEntry } from "../../src/testing/index.ts";
import { taskKey } from "../../src/actors/actor-deps.ts";
import { recordKeyedJob, type RecordedJob } from "./recorded-job.ts";

const log = silentLogger();
const notCredits = (subject: string) => !subject.startsWith("weir.credit.");

function message<T>(entry: TraceEntry | undefined): T {
  if (!entry) throw new Error("entry not in trace");
  const outcome = decode(entry.data);
  if (!outcome.ok) throw new Error(outcome.detail);
  return outcome.message as T;
}

describe("replaying recorded actors", () => {
  let recorded: RecordedJob;

  beforeAll(async () => {
    recorded = await recordKeyedJob("replay1");
  });

  it("the recorded job itself produced the exact rolling sums", () => {
    const finals = new Map<number, number>();
    for (const { k, s } of recorded.results) finals.set(k, Math.max(finals.get(k) ?? 0, s));
    const expected = new Map<number, number>();
    for (let n = 1; n <= 3000; n++) expected.set(n % 10, (expected.get(n % 10) ?? 0) + n);
    expect(finals).toEqual(expected);
    expect(recorded.results).toHaveLength(3000);
  });

  const startJobMaster = (trace: readonly TraceEntry[]) => {
    const submission = message<SubmitJob>(trace.find((e) => e.kind === "publish" && e.subject === "weir.dispatcher.submit"));
    return replayActor({
      trace,
      actor: `job-master/${recorded.jobId}`,
      ignoreFields: ["timestamp"],
      start: ({ bus, clock }) => {
        const actor = createActor(jobMasterMachine, { input: { deps: { bus, clock, log, metrics: new MetricRegistry() }, submission }, clock }).start();
        return () => actor.stop();
      },
    });
  };

  it("a job master fed its recorded inbound publishes the same slot requests, deployments and statuses", async () => {
    const report = await startJobMaster(recorded.trace);
    expect(report.inbound).toBeGreaterThan(10);
    expect(report.expectedOutbound).toBeGreaterThan(5);
    expect(report.mismatches).toEqual([]);
    expect(report.actualOutbound).toBe(report.expectedOutbound);
  });

  it("a job master fed a trace where one task failed publishes something else (the harness notices)", async () => {
    const tampered = recorded.trace.map((entry) => {
      if (entry.actor !== `job-master/${recorded.jobId}` || entry.kind !== "deliver" || !entry.subject.endsWith(".tasks")) return entry;
      const m = decode(entry.data);
      if (!m.ok || m.message.type !== "task-state" || m.message.state !== "finished" || m.message.task.subtaskIndex !== 0) return entry;
      return { ...entry, data: encode({ ...m.message, state: "failed", error: "injected" }) };
    });
    const report = await startJobMaster(tampered);
    expect(report.mismatches.length).toBeGreaterThan(0);
    expect(JSON.stringify(report.mismatches)).toContain("failed");
  });

  it("a worker and the subtasks it spawns, fed their recorded inbound, publish the same registration, task states, frames and results", async () => {
    const register = message<RegisterWorker>(recorded.trace.find((e) => e.kind === "publish" && e.subject === "weir.rm.register"));
    const report = await replayActor({
      trace: recorded.trace,
      actor: "worker/embedded-worker",
      including: (actor) => actor.startsWith("subtask/"),
      compareSubject: notCredits,
      ignoreFields: ["timestamp"],
      start: ({ bus, clock }) => {
        const actor = createActor(workerMachine, {
          input: {
            deps: { bus, clock, log, metrics: new MetricRegistry() },
            workerId: register.workerId,
            slots: register.slots,
            host: register.host,
            pid: register.pid,
            loadJob: createJobLoader(new Map([[recorded.jobId, recorded.streamGraph]])),
          },
          clock,
        }).start();
        // The recorded worker was stopped when its cluster closed: do the same.
        return () => {
          actor.send({ type: "STOP" });
          actor.stop();
        };
      },
    });
    expect(report.expectedOutbound).toBeGreaterThan(20);
    expect(report.mismatches).toEqual([]);
    // Frame and batch boundaries depend on timing; the element streams above must match exactly.
  });

  it("one keyed subtask fed its recorded frames emits the same frames, results and task states", async () => {
    const deploy = recorded.trace
      .filter((e) => e.kind === "deliver" && e.actor === "worker/embedded-worker" && e.subject.endsWith(".control"))
      .map((e) => message<DeployTask>(e))
      .find((m) => m.type === "deploy-task" && m.task.vertexId !== "v1" && m.task.subtaskIndex === 1)!;
    const actor = `subtask/${taskKey(deploy.task)}`;
    const report = await replayActor({
      trace: recorded.trace,
      actor,
      compareSubject: notCredits,
      start: ({ bus, clock }) => {
        const ref = createActor(subtaskMachine, {
          input: { deps: { bus, clock, log, metrics: new MetricRegistry() }, workerId: "embedded-worker", deploy, loadJob: createJobLoader(new Map([[recorded.jobId, recorded.streamGraph]])) },
          clock,
        }).start();
        return () => ref.stop();
      },
    });
    expect(report.inbound).toBeGreaterThan(1);
    expect(report.expectedOutbound).toBeGreaterThan(3);
    expect(report.mismatches).toEqual([]);
  });
});
