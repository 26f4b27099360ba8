// A worker that takes slots but never runs what is deployed there: a plain NATS client that
// registers with four slots, heartbeats and answers pings like a worker, and ignores every
// deploy-task (a hung process, or a stranger with a worker's credentials). It has the most free
// slots, so the job's subtasks go to it first. The job master hears nothing from them, tells the
// resource manager after the deploy timeout, and the resource manager declares the worker lost and
// blocks it: the job runs again on the real worker and finishes with every running count exactly
// once (lost = 0, duplicated = 0, against the input), and the blocked worker's heartbeats do not
// bring its slots back.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../../src/bus/subjects.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { restEndpointOf, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { startRun } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const { keys: KEYS } = CHECKPOINTED_COUNTS;
const EVENTS = 3_000;
const FAKE = "aaa-never-deploys";

describe("a worker that takes slots and never acknowledges what is deployed there", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let worker: WeirProcess;
  let fake: NatsConnection;
  let heartbeats: ReturnType<typeof setInterval> | undefined;
  const deploysIgnored: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-unresponsive-"));

  beforeAll(async () => {
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url);
    fake = await connect({ servers: server.url });
    fake.subscribe(subjects.workerPing(FAKE), { callback: (_, msg) => void msg.respond(encode({ type: "worker-pong", workerId: FAKE })) });
    fake.subscribe(subjects.workerControl(FAKE), {
      callback: (_, msg) => {
        const decoded = decode(msg.data, ["deploy-task", "cancel-task"]);
        if (decoded.ok && decoded.message.type === "deploy-task") deploysIgnored.push(decoded.message.task.vertexId);
      },
    });
    await fake.request(subjects.registerWorker(), encode({ type: "register-worker", workerId: FAKE, slots: 4, host: "nowhere", pid: 1 }), { timeout: 10_000 });
    heartbeats = setInterval(() => fake.publish(subjects.heartbeat(), encode({ type: "heartbeat", workerId: FAKE, slots: 4, usedSlots: 0, timestamp: Date.now() })), 500);
    worker = await startWorkerProcess(server.url, 2, "real-worker");
  }, 60_000);

  afterAll(async () => {
    clearInterval(heartbeats);
    await fake?.close();
    await Promise.all([jobManager, worker].filter((p) => p !== undefined).map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is declared lost and blocked after the deploy timeout; the job runs on the real worker, exactly once", async () => {
    const results = join(dir, "results.json");
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", join(dir, "checkpoints"), "--results", results, "--events", String(EVENTS), "--rate", "1000"]);
    const jobId = await run.jobId;
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished`));

    // It was offered the job first, ignored it, and was blocked for it.
    expect(deploysIgnored.length).toBeGreaterThan(0);
    const lines = jobManager.logs().split("\n");
    const blocked = lines.find((line) => line.includes('"msg":"blocking a worker that did not acknowledge subtasks deployed there"'));
    expect(JSON.parse(blocked!)).toMatchObject({ workerId: FAKE, jobId, blockedForMs: 60_000 });
    const restart = lines.find((line) => line.includes(jobId) && line.includes('"msg":"restarting the job"'));
    expect(restart).toContain(`worker ${FAKE} did not acknowledge subtasks deployed there within 10 s`);
    // `weir run` says why the job restarted.
    expect(run.stderr()).toContain(`job ${jobId} restarting: worker ${FAKE} did not acknowledge subtasks deployed there within 10 s`);

    const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
    expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(collected).toHaveLength(EVENTS);

    const { url } = restEndpointOf(jobManager);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^weir_workers_blocked_total 1$/m);

    // Still heartbeating, it is offered nothing while blocked: the next job runs on the real worker at once.
    const ignoredBefore = deploysIgnored.length;
    const second = startRun([JOB, "--nats", server.url, "--", "--checkpoints", join(dir, "checkpoints-2"), "--results", join(dir, "results-2.json"), "--events", "600", "--rate", "1000"]);
    const secondId = await second.jobId;
    expect(await second.exit).toBe(0);
    expect(deploysIgnored.length).toBe(ignoredBefore);
    expect(jobManager.logs().split("\n").some((line) => line.includes(secondId) && line.includes('"msg":"restarting the job"'))).toBe(false);
  }, 120_000);
});
