// Exactly-once across the loss of a worker process: a real nats-server, a job manager with a short
// heartbeat timeout and three workers with two slots each. A checkpointed keyed count runs at
// parallelism 2 with checkpoints in a shared directory; once a checkpoint has completed, a worker
// running its subtasks is killed with SIGKILL. The job manager must notice, restart the job from
// the latest checkpoint on the two workers left, and the client must receive every key's running
// count 1..n exactly once: lost = 0 and duplicated = 0, against an expectation from the input alone.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const { keys: KEYS, events: EVENTS } = CHECKPOINTED_COUNTS;

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
async function until(what: string, condition: () => boolean, deadlineMs = 20_000): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True once `<dir>/<jobId>/chk-*\/_metadata` exists: a checkpoint has completed. */
function hasCompletedCheckpoint(dir: string, jobId: string): boolean {
  const jobDir = join(dir, jobId);
  if (!existsSync(jobDir)) return false;
  return readdirSync(jobDir).some((name) => name.startsWith("chk-") && existsSync(join(jobDir, name, "_metadata")));
}

const runsSubtasksOf = (worker: WeirProcess, jobId: string, attempt: number) =>
  worker.logs().split("\n").some((line) => line.includes(`"jobId":"${jobId}"`) && line.includes(`"attempt":${attempt},`) && line.includes('"msg":"subtask running"'));

describe("a worker killed while a checkpointed job runs on a NATS cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let workers: WeirProcess[] = [];
  const workerIds = ["kill-a", "kill-b", "kill-c"];
  const dir = mkdtempSync(join(tmpdir(), "weir-worker-kill-"));
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

  it("restarts the job from its latest checkpoint on the workers left, and the client gets every running count exactly once", async () => {
    // About 10 s of input: the job is still running when a checkpoint exists and the worker is killed.
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", checkpoints, "--results", results, "--rate", "600"]);
    try {
      const jobId = await run.jobId;
      await until("a completed checkpoint and a worker running the job", () => hasCompletedCheckpoint(checkpoints, jobId) && workers.some((w) => runsSubtasksOf(w, jobId, 0)));
      const victim = workers.find((w) => runsSubtasksOf(w, jobId, 0))!;
      const victimId = workerIds[workers.indexOf(victim)];
      const survivors = workers.filter((w) => w !== victim);
      await victim.stop("SIGKILL");

      expect(await run.exit).toBe(0);
      expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished`));
      // The job manager restarted the job from a completed checkpoint, and the client saw it restarting.
      const restart = jobManager.logs().split("\n").find((line) => line.includes('"msg":"restarting the job"'));
      expect(restart).toContain(`"cause":"worker ${victimId} was lost (no heartbeat)"`);
      expect(restart).toMatch(/"attempt":1,"checkpointId":\d+/);
      expect(jobManager.logs()).not.toContain("not restarting the job");
      expect(run.stderr()).toMatch(/"status":"restarting","msg":"job status"/);
      // The second attempt ran on the workers left.
      expect(survivors.some((w) => runsSubtasksOf(w, jobId, 1))).toBe(true);

      const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
      expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      expect(collected).toHaveLength(EVENTS);
    } finally {
      run.kill();
    }
  });
});
