
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { ASYNC_LOOKUP_COUNTS } from "../fixtures/jobs/async-lookup-counts.ts";
import { range, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";
import { hasCompletedCheckpoint, startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/async-lookup-counts.ts";
const { keys: KEYS, events: EVENTS } = ASYNC_LOOKUP_COUNTS;

/** True when the worker's log says it runs a subtask of the lookup's vertex (v1: the generator with the lookup chained to it) in `attempt`. */
const runsLookupOf = (worker: WeirProcess, jobId: string, attempt: number) =>
  worker
    .logs()
    .split("\n")
    .some((line) => line.includes(`"jobId":"${jobId}"`) && line.includes(`"attempt":${attempt},`) && line.includes('"vertex":"v1"') && line.includes('"msg":"subtask running"'));

describe("async I/O with a worker killed on a NATS cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let workers: WeirProcess[] = [];
  const workerIds = ["async-a", "async-b", "async-c"];
  const dir = mkdtempSync(join(tmpdir(), "weir-async-kill-"));
  const checkpoints = join(dir, "checkpoints");
  const results = join(dir, "results.json");

  beforeAll(async () => {
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url, ["--heartbeat-timeout", "2000"]);
    workers = await Promise.all(workerIds.map((id) => startWorkerProcess(server.url, 2, id)));
  });

  afterAll(async () => {
    await Promise.all([jobManager, ...workers].filter(Boolean).map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("restarts from the latest checkpoint on the workers left, asks again for what was in flight, and the counts are exactly-once", async () => {
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", checkpoints, "--results", results]);
    try {
      const jobId = await run.jobId;
      await until("a completed checkpoint and a worker running the lookup", () => hasCompletedCheckpoint(checkpoints, jobId) && workers.some((w) => runsLookupOf(w, jobId, 0)));
      const victim = workers.find((w) => runsLookupOf(w, jobId, 0))!;
      const survivors = workers.filter((w) => w !== victim);
      await victim.stop("SIGKILL");

      expect(await run.exit).toBe(0);
      expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished`));
      const restart = jobManager.logs().split("\n").find((line) => line.includes('"msg":"restarting the job"') && line.includes(jobId));
      expect(restart).toMatch(/"attempt":1,"checkpointId":\d+/);
      expect(survivors.some((w) => runsLookupOf(w, jobId, 1))).toBe(true);

      const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
      expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      expect(collected).toHaveLength(EVENTS);
    } finally {
      run.kill();
    }
  });
});
