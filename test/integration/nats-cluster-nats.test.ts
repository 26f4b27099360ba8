// A job on a three-node NATS cluster survives the loss of a node. Each worker knows only its own
// node (it learns the others from it); the job manager and the client know all three. Once the
// checkpointed keyed count has completed a checkpoint, the node of a worker running its subtasks is
// killed with SIGKILL: that worker reconnects to another node within milliseconds, but frames sent
// to it meanwhile are gone; the channel's sequence numbers notice, the job restarts from its latest
// checkpoint (or continues, if nothing was in flight), and the client receives every running count exactly once (lost = 0,
// duplicated = 0, against an expectation from the input alone).

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsCluster, startWorkerProcess, type NatsClusterHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const { keys: KEYS, events: EVENTS } = CHECKPOINTED_COUNTS;

describe("a NATS node killed while a checkpointed job runs on a three-node cluster", () => {
  let cluster: NatsClusterHandle;
  let jobManager: WeirProcess;
  let workers: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-nats-cluster-"));

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    const [n1, n2, n3] = cluster.nodes;
    jobManager = await startJobManagerProcess(n1.url);
    // One worker on each of the other two nodes: whichever runs the job, its node can be killed without the job manager's.
    workers = await Promise.all([startWorkerProcess(n2.url, 2, "on-n2"), startWorkerProcess(n3.url, 2, "on-n3")]);
  });

  afterAll(async () => {
    await Promise.all([jobManager, ...workers].filter(Boolean).map((p) => p.stop()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the worker moves to another node and the counts are exactly-once", async () => {
    const checkpoints = join(dir, "checkpoints");
    const results = join(dir, "results.json");
    const run = startRun([JOB, "--nats", cluster.urls, "--", "--checkpoints", checkpoints, "--results", results, "--rate", "600"]);
    try {
      const jobId = await run.jobId;
      await until("a completed checkpoint and a worker running the job", () => hasCompletedCheckpoint(checkpoints, jobId) && workers.some((w) => runsSubtasksOf(w, jobId)));
      const victim = workers.findIndex((w) => runsSubtasksOf(w, jobId));
      await cluster.nodes[victim + 1].kill();

      expect(await run.exit).toBe(0);
      expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished`));
      const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
      expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      expect(collected).toHaveLength(EVENTS);
      // The worker whose node died lives on, connected to another node.
      expect(workers[victim].child.exitCode).toBe(null);
      expect(workers[victim].logs()).toContain('"msg":"reconnected to NATS"');
      // The buckets weir made on the cluster have a replica on each of three servers: one node's loss keeps them.
      const nc = await connect({ servers: cluster.nodes[0].url });
      try {
        const streams = (await jetstreamManager(nc)).streams;
        expect((await streams.info("OBJ_weir-artifacts")).config.num_replicas).toBe(3);
        expect((await streams.info("KV_weir-job-history")).config.num_replicas).toBe(3);
      } finally {
        await nc.close();
      }
    } finally {
      run.kill();
    }
  });
});

/** Starts `weir run` in the background; resolves its job id once submitted. */
function startRun(args: string[]) {
  const child = spawn(process.execPath, ["bin/weir.mjs", "run", "--log-level", "info", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const jobId = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", () => {
      const match = /job ([0-9a-f]+) submitted/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.once("exit", () => reject(new Error(`weir run ended before the job was submitted:\n${stderr}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { jobId, exit, stderr: () => stderr, kill: () => child.kill("SIGKILL") };
}

/** Polls `condition` every 50 ms until it holds; fails with `what` if `deadlineMs` passes first (a hang guard, not an assertion on speed). */
async function until(what: string, condition: () => boolean, deadlineMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function hasCompletedCheckpoint(dir: string, jobId: string): boolean {
  const jobDir = join(dir, jobId);
  return existsSync(jobDir) && readdirSync(jobDir).some((name) => name.startsWith("chk-") && existsSync(join(jobDir, name, "_metadata")));
}

const runsSubtasksOf = (worker: WeirProcess, jobId: string) =>
  worker.logs().split("\n").some((line) => line.includes(`"jobId":"${jobId}"`) && line.includes('"msg":"subtask running"'));
