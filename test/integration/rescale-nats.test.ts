// Rescaling on a cluster of real processes: `weir rescale` moves a running keyed job with
// checkpoints from parallelism 2 to 3 and from 3 to 1 while `weir run` waits, and refuses what
// cannot be done, saying why; a reactive job manager runs a job at the parallelism of the slots
// there are (a worker joins: it grows; one is killed: it shrinks and goes on). Each time the
// output the client collected is counted against totals computed from the input alone.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { RESCALABLE_COUNTS } from "../fixtures/jobs/rescalable-counts.ts";
import { range, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";
import { latestCheckpoint, startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/rescalable-counts.ts";
const { keys: KEYS, events: EVENTS } = RESCALABLE_COUNTS;

/** The parallelism and status `weir info --json` reports. */
async function info(natsUrl: string, jobId: string): Promise<{ parallelism: number; status: string }> {
  const result = await runWeir(["info", jobId, "--json", "--nats", natsUrl]);
  if (result.code !== 0) throw new Error(`weir info failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { parallelism: number; status: string };
}

function expectExact(results: string): void {
  const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
  expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
  expect(collected).toHaveLength(EVENTS);
}

describe("weir rescale", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-rescale-"));

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url, ["--slot-timeout", "20000"]));
    processes.push(await startWorkerProcess(server.url, 2, "rescale-a"), await startWorkerProcess(server.url, 2, "rescale-b"));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("rescales a running keyed job from 2 to 3 and 3 to 1 while `weir run` waits; the output is exact", async () => {
    const checkpoints = join(dir, "chk");
    const results = join(dir, "results.json");
    const release = join(dir, "release");
    const run = startRun([JOB, "-p", "2", "--nats", server.url, "--progress-interval", "0", "--", "--checkpoints", checkpoints, "--results", results, "--release", release]);
    const jobId = await run.jobId;
    try {
      await until("a first checkpoint", () => latestCheckpoint(checkpoints, jobId) > 0, 60_000);
      expect((await info(server.url, jobId)).parallelism).toBe(2);

      // What cannot be done is refused, and the job runs on.
      const tooHigh = await runWeir(["rescale", jobId, "-p", "129", "--nats", server.url]);
      expect(tooHigh.code).toBe(1);
      expect(tooHigh.stderr).toMatch(/cannot rescale job [0-9a-f]+ to parallelism 129: it is above the max parallelism 128/);
      const tooMany = await runWeir(["rescale", jobId, "-p", "5", "--nats", server.url]);
      expect(tooMany.code).toBe(1);
      expect(tooMany.stderr).toMatch(/it needs 5 slots, found 4 \(2 of its own and 2 free\)/);
      const unknown = await runWeir(["rescale", "0123456789abcdef", "-p", "2", "--nats", server.url]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("no job 0123456789abcdef is known");

      const up = await runWeir(["rescale", jobId, "-p", "3", "--nats", server.url]);
      expect(up.stderr).toContain(`job ${jobId} runs at parallelism 3`);
      expect(up.code).toBe(0);
      expect((await info(server.url, jobId)).parallelism).toBe(3);

      const before = latestCheckpoint(checkpoints, jobId);
      await until("a checkpoint at parallelism 3", () => latestCheckpoint(checkpoints, jobId) > before, 60_000);
      const down = await runWeir(["rescale", jobId, "-p", "1", "--nats", server.url]);
      expect(down.stderr).toContain(`job ${jobId} runs at parallelism 1`);
      expect(down.code).toBe(0);
      expect((await info(server.url, jobId)).parallelism).toBe(1);
    } finally {
      writeFileSync(release, "go");
    }
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(new RegExp(`job ${jobId} restarting: rescaled to parallelism 3 from savepoint`));
    expect(run.stderr()).toMatch(new RegExp(`job ${jobId} restarting: rescaled to parallelism 1 from savepoint`));
    expectExact(results);
  }, 180_000);
});

describe("a reactive job manager", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-reactive-"));

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url, ["--reactive", "--heartbeat-timeout", "4000", "--slot-timeout", "20000"]));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("grows a job when a worker joins and shrinks it when one is killed; the output is exact", async () => {
    const first = await startWorkerProcess(server.url, 2, "reactive-a");
    processes.push(first);
    const checkpoints = join(dir, "chk");
    const results = join(dir, "results.json");
    const release = join(dir, "release");
    const run = startRun([JOB, "-p", "1", "--nats", server.url, "--progress-interval", "0", "--", "--checkpoints", checkpoints, "--results", results, "--release", release]);
    const jobId = await run.jobId;
    try {
      // One worker of 2 slots: the job runs at 2, whatever it was submitted with.
      await until("the job running at parallelism 2", async () => {
        const job = await info(server.url, jobId);
        return job.status === "running" && job.parallelism === 2;
      }, 60_000);
      await until("a first checkpoint", () => latestCheckpoint(checkpoints, jobId) > 0, 60_000);

      const second = await startWorkerProcess(server.url, 2, "reactive-b");
      processes.push(second);
      await until("the job grown to parallelism 4", async () => {
        const job = await info(server.url, jobId);
        return job.status === "running" && job.parallelism === 4;
      }, 60_000);
      const before = latestCheckpoint(checkpoints, jobId);
      await until("a checkpoint at parallelism 4", () => latestCheckpoint(checkpoints, jobId) > before, 60_000);

      await second.stop("SIGKILL");
      await until("the job shrunk to parallelism 2 and running", async () => {
        const job = await info(server.url, jobId);
        return job.status === "running" && job.parallelism === 2;
      }, 60_000);
    } finally {
      writeFileSync(release, "go");
    }
    expect(await run.exit).toBe(0);
    // `weir run` says each change in one line: the start at 2, the growth to 4, the restart at 2.
    expect(run.stderr()).toMatch(new RegExp(`job ${jobId} restarting: rescaled to parallelism 4 from checkpoint \\d+\n`));
    expect(run.stderr().match(new RegExp(`job ${jobId} scheduling: reactive mode: running at parallelism 2`, "g"))).toHaveLength(2);
    expectExact(results);
  }, 180_000);
});
