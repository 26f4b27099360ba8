// An exception inside an actor fails only what it belongs to. A deploy-task naming a vertex its
// job lacks makes the subtask's construction throw: that subtask is reported failed with the reason,
// while the worker and the job already running go on, exactly. A job master that throws fails its
// own job (status failed with the error, slots released) and the dispatcher serves the next job.
// A subtask actor that throws is reported failed by its worker, which deploys the next one.
// Before, either exception escaped the actor tree as an uncaught exception and killed the process.

import { createActor, setup } from "xstate";
import { describe, expect, it } from "vitest";
import { dispatcherMachine } from "../../src/actors/dispatcher.ts";
import { workerMachine } from "../../src/actors/worker.ts";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { type DeployTask, type Message, PROTOCOL_VERSION } from "../../src/messages/schema.ts";
import { MetricRegistry, SimulatedClock, silentLogger } from "../../src/testing/index.ts";
import { SAMPLES } from "../fuzz/samples.ts";

const FOREIGN = "job-x";

function countingJob(records: number, sink: (n: number) => void) {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  env.fromGenerator((i) => i, { count: records, ratePerSecond: 4000 }).map((n) => n * 2).addSink(sink);
  return { jobGraph: buildJobGraph(env.graph, env.jobConfig("counting")), streamGraph: env.graph, collectors: new Map() };
}

describe("actor exception isolation", () => {
  it("a deploy-task naming a vertex its job lacks fails that subtask with the reason; the worker and the running job go on", async () => {
    const cluster = new MiniCluster({ slots: 2 });
    try {
      const deploys: DeployTask[] = [];
      const reports: Extract<Message, { type: "task-state" }>[] = [];
      cluster.bus.subscribe(subjects.workerControl("embedded-worker"), (data) => {
        const outcome = decode(data, ["deploy-task"]);
        if (outcome.ok) deploys.push(outcome.message);
      });
      let sum = 0;
      const client = await cluster.submit(countingJob(3000, (n) => void (sum += n)));
      cluster.bus.subscribe(subjects.taskState(client.jobId), (data) => {
        const outcome = decode(data, ["task-state"]);
        if (outcome.ok && outcome.message.task.vertexId === "no-such-vertex") reports.push(outcome.message);
      });
      while (deploys.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // The real deployment, replayed with a vertex the job graph does not have.
      const forged = { ...deploys[0], task: { ...deploys[0].task, vertexId: "no-such-vertex" } };
      cluster.bus.publish(subjects.workerControl("embedded-worker"), encode(forged));
      await client.result;
      expect(sum).toBe(2 * ((2999 * 3000) / 2));
      expect(reports.map((r) => r.state)).toEqual(["deploying", "initializing", "failed"]);
      expect(reports[2].error).toContain("job graph has no vertex no-such-vertex");
      // The worker still deploys: a second job runs on it, exactly.
      let again = 0;
      await cluster.execute(countingJob(1000, (n) => void (again += n)));
      expect(again).toBe(2 * ((999 * 1000) / 2));
    } finally {
      await cluster.close();
    }
  });

  it("a job master that throws fails its job with the error and releases its slots; the dispatcher serves the next job", async () => {
    const bus = new InProcessBus();
    const throwing = setup({}).createMachine({
      entry: () => {
        throw new TypeError("a job master effect broke");
      },
    });
    const dispatcher = createActor(dispatcherMachine.provide({ actors: { jobMaster: throwing as never } }), {
      input: { deps: { bus, clock: new SimulatedClock(0), log: silentLogger(), metrics: new MetricRegistry() } },
    }).start();
    const seen: Message[] = [];
    for (const subject of [subjects.jobStatus("job-a"), subjects.releaseSlots()]) {
      bus.subscribe(subject, (data) => {
        const outcome = decode(data);
        if (outcome.ok) seen.push(outcome.message);
      });
    }
    const submit = (jobId: string) => bus.request(subjects.submitJob(), encode({ ...SAMPLES["submit-job"], jobId }));
    expect(decode(await submit("job-a"))).toMatchObject({ ok: true, message: { type: "submit-job-reply", jobId: "job-a", accepted: true } });
    await bus.flush();
    expect(seen).toEqual([
      { type: "release-slots", v: PROTOCOL_VERSION, jobId: "job-a" },
      { type: "job-status", v: PROTOCOL_VERSION, jobId: "job-a", status: "failed", error: "the job master failed: TypeError: a job master effect broke", timestamp: 0 },
    ]);
    expect(dispatcher.getSnapshot().status).toBe("active");
    // Same id again: the failed master was forgotten, so the id is free, and the dispatcher answers.
    expect(decode(await submit("job-a"))).toMatchObject({ ok: true, message: { accepted: true } });
    dispatcher.stop();
    await bus.close();
  });

  it("a subtask actor that throws is reported failed to its job master with the error; the worker stays up and deploys again", async () => {
    const bus = new InProcessBus();
    const throwing = setup({}).createMachine({
      entry: () => {
        throw new RangeError("a subtask effect broke");
      },
    });
    const worker = createActor(workerMachine.provide({ actors: { subtask: throwing as never } }), {
      input: { deps: { bus, clock: new SimulatedClock(0), log: silentLogger(), metrics: new MetricRegistry() }, workerId: "w-1", slots: 2, loadJob: async () => Promise.reject(new Error("not used")), host: "h", pid: 1 },
    }).start();
    const reports: Message[] = [];
    bus.subscribe(subjects.taskState(FOREIGN), (data) => {
      const outcome = decode(data);
      if (outcome.ok) reports.push(outcome.message);
    });
    const deploy = (attempt: number) => encode({ ...SAMPLES["deploy-task"], task: { ...SAMPLES["deploy-task"].task, jobId: FOREIGN, attempt } });
    bus.publish(subjects.workerControl("w-1"), deploy(0));
    await bus.flush();
    bus.publish(subjects.workerControl("w-1"), deploy(1));
    await bus.flush();
    const task = { jobId: FOREIGN, vertexId: "fv1", subtaskIndex: 0 };
    expect(reports).toEqual([
      { type: "task-state", v: PROTOCOL_VERSION, task: { ...task, attempt: 0 }, workerId: "w-1", state: "failed", error: "the subtask's actor failed: RangeError: a subtask effect broke" },
      { type: "task-state", v: PROTOCOL_VERSION, task: { ...task, attempt: 1 }, workerId: "w-1", state: "failed", error: "the subtask's actor failed: RangeError: a subtask effect broke" },
    ]);
    expect(worker.getSnapshot().status).toBe("active");
    expect(worker.getSnapshot().context.tasks).toEqual({});
    worker.stop();
    await bus.close();
  });
});
