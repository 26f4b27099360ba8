// Partitions, not only kills. A worker runs in its own network namespace, joined to the host (where
// nats-server, the job manager and the other workers run) by a veth pair, and the link is cut while
// a checkpointed keyed count runs on it. A cut shorter than the heartbeat timeout costs nothing: the
// connection's TCP stream resumes and the job never restarts. A longer cut gets the worker declared
// lost; the job restarts from its latest checkpoint on the workers left, and when the link heals
// the cut-off worker's old subtasks are ended and nothing they sent counts: every running count
// reaches the client exactly once (lost = 0, duplicated = 0, against the input). Needs root.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { createNetworkNamespace, type NetworkNamespace } from "../fixtures/network-namespace.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { hasCompletedCheckpoint, runsSubtasksOf, startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const HEARTBEAT_TIMEOUT_MS = 5000;
const { keys: KEYS } = CHECKPOINTED_COUNTS;

describe("a worker cut off from NATS by a network partition", () => {
  let server: NatsServerHandle;
  let namespace: NetworkNamespace;
  let jobManager: WeirProcess;
  let onHost: WeirProcess;
  let spare: WeirProcess | undefined;
  let cutOff: { child: ChildProcess; logs: () => string };
  const dir = mkdtempSync(join(tmpdir(), "weir-partition-"));

  beforeAll(async () => {
    server = await startNatsServer({ host: "0.0.0.0" });
    namespace = createNetworkNamespace(1 + Math.floor(Math.random() * 254));
    jobManager = await startJobManagerProcess(server.url, ["--heartbeat-timeout", String(HEARTBEAT_TIMEOUT_MS)]);
    onHost = await startWorkerProcess(server.url, 1, "on-host");
    cutOff = await startWorkerInNamespace(namespace, `nats://${namespace.hostIp}:${server.port}`, "cut-off");
  });

  afterAll(async () => {
    cutOff?.child.kill("SIGKILL");
    await Promise.all([jobManager, onHost, spare].filter((p) => p !== undefined).map((p) => p.stop()));
    await server?.stop();
    namespace?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a cut shorter than the heartbeat timeout costs no restart, and the counts are exactly-once", async () => {
    const { jobId, exit, stderr, results, events } = await runningJob("short");
    await until("the cut-off worker running the job", () => runsSubtasksOf(cutOff.logs(), jobId, 0));
    namespace.cut();
    await sleep(1500);
    namespace.heal();

    expect(await exit).toBe(0);
    expect(stderr()).toMatch(new RegExp(`job ${jobId} finished`));
    expect(restartsOf(jobId)).toEqual([]);
    expectExactlyOnce(results, events);
  });

  it("a longer cut gets the worker declared lost; the job recovers elsewhere and the healed worker's subtasks end without counting", async () => {
    const { jobId, exit, stderr, results, events } = await runningJob("long");
    await until("the cut-off worker running the job", () => runsSubtasksOf(cutOff.logs(), jobId, 0));
    spare = await startWorkerProcess(server.url, 1, "spare");
    namespace.cut();
    await until("the job restarting without the cut-off worker", () => restartsOf(jobId).length > 0, 30_000);
    await sleep(1000);
    namespace.heal();

    expect(await exit).toBe(0);
    expect(stderr()).toMatch(new RegExp(`job ${jobId} finished`));
    expect(restartsOf(jobId)[0]).toContain("worker cut-off was lost");
    expectExactlyOnce(results, events);
    // Back on the bus, the worker learns its old subtasks are gone and ends them.
    await until("the cut-off worker ending its old subtasks", () => endedSubtasks(cutOff.logs(), jobId, 0) > 0, 30_000);
    expect(runsSubtasksOf(cutOff.logs(), jobId, 1)).toBe(false);
  });

  /** Submits the keyed count (about 12 s of input) and resolves once a checkpoint has completed. */
  async function runningJob(name: string) {
    const checkpoints = join(dir, `${name}-checkpoints`);
    const results = join(dir, `${name}-results.json`);
    const events = 7_200;
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", checkpoints, "--results", results, "--events", String(events), "--rate", "600", "--restart-attempts", "10"]);
    const jobId = await run.jobId;
    await until("a completed checkpoint", () => hasCompletedCheckpoint(checkpoints, jobId));
    return { jobId, exit: run.exit, stderr: run.stderr, results, events };
  }

  function restartsOf(jobId: string): string[] {
    return jobManager.logs().split("\n").filter((line) => line.includes(jobId) && line.includes('"msg":"restarting the job"'));
  }
});

function expectExactlyOnce(results: string, events: number): void {
  const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
  expect(tally(collected, totalsPerKey(range(events), KEYS))).toEqual({ lost: 0, duplicated: 0 });
  expect(collected).toHaveLength(events);
}

async function startWorkerInNamespace(namespace: NetworkNamespace, natsUrl: string, id: string): Promise<{ child: ChildProcess; logs: () => string }> {
  const child = namespace.spawn(process.execPath, [resolve("bin/weir.mjs"), "worker", "--nats", natsUrl, "--slots", "1", "--id", id]);
  let logs = "";
  child.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  await until(`worker ${id} registered`, () => logs.includes("worker registered"), 30_000);
  return { child, logs: () => logs };
}

const endedSubtasks = (logs: string, jobId: string, attempt: number) =>
  logs.split("\n").filter((line) => line.includes(`"jobId":"${jobId}"`) && line.includes(`"attempt":${attempt},`) && /"msg":"subtask (canceled|failed)"/.test(line)).length;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

