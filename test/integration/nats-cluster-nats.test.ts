
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsCluster, startWorkerProcess, type NatsClusterHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { hasCompletedCheckpoint, runsSubtasksOf, startRun, until } from "../fixtures/weir-run.ts";

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
      await until("a completed checkpoint and a worker running the job", () => hasCompletedCheckpoint(checkpoints, jobId) && workers.some((w) => runsSubtasksOf(w.logs(), jobId)));
      const victim = workers.findIndex((w) => runsSubtasksOf(w.logs(), jobId));
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

