// The file sink on a NATS cluster: a real nats-server, a job manager and two worker processes with
// two slots each, running a checkpointed running count per key (parallelism 2) into part files of
// a shared directory. A worker running the job's subtasks is killed with SIGKILL mid-run, after a
// part file was committed; the job restarts from its latest checkpoint on the worker left. At the
// end the committed part files hold every running count exactly once (lost = 0, duplicated = 0,
// against the input alone), every file that was visible at the kill is still there unchanged, and
// no in-progress file is left.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { hasCompletedCheckpoint, runsSubtasksOf, startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const { keys: KEYS, events: EVENTS } = CHECKPOINTED_COUNTS;

/** The committed part files of `dir` with their contents (hidden in-progress files left out). */
function committed(dir: string): Map<string, string> {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return new Map();
  }
  return new Map(names.filter((name) => !name.startsWith(".")).map((name) => [name, readFileSync(join(dir, name), "utf8")]));
}

describe("the file sink with a worker killed mid-run on a NATS cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let workers: WeirProcess[] = [];
  const workerIds = ["file-sink-a", "file-sink-b"];
  const dir = mkdtempSync(join(tmpdir(), "weir-file-sink-kill-"));
  const checkpoints = join(dir, "checkpoints");
  const out = join(dir, "counts");

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

  it("the committed part files hold every running count once, and none visible at the kill changed", async () => {
    // About 10 s of input: the job is still running when a part file is committed and the worker is killed.
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", checkpoints, "--results", join(dir, "results.json"), "--file-sink", out, "--rate", "600"]);
    try {
      const jobId = await run.jobId;
      await until("a completed checkpoint, a committed part file and a worker running the job", () => hasCompletedCheckpoint(checkpoints, jobId) && committed(out).size > 0 && workers.some((w) => runsSubtasksOf(w.logs(), jobId, 0)));
      const victim = workers.find((w) => runsSubtasksOf(w.logs(), jobId, 0))!;
      const survivor = workers.find((w) => w !== victim)!;
      await victim.stop("SIGKILL");
      const atKill = committed(out);

      expect(await run.exit).toBe(0);
      expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished`));
      const restart = jobManager.logs().split("\n").find((line) => line.includes('"msg":"restarting the job"') && line.includes(jobId));
      expect(restart).toContain(`"cause":"worker ${workerIds[workers.indexOf(victim)]} was lost`);
      expect(restart).toMatch(/"attempt":1,"checkpointId":\d+/);
      expect(runsSubtasksOf(survivor.logs(), jobId, 1)).toBe(true);

      const files = committed(out);
      const written = [...files.values()].flatMap((text) => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as KeyCount));
      expect({ ...tally(written, totalsPerKey(range(EVENTS), KEYS)), records: written.length }).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
      expect(atKill.size).toBeGreaterThan(0);
      for (const [name, text] of atKill) expect(files.get(name)).toBe(text);
      expect(readdirSync(out).filter((name) => name.startsWith("."))).toEqual([]);
      expect([...files.keys()].every((name) => /^part-[01]-\d+$/.test(name))).toBe(true);
    } finally {
      run.kill();
    }
  });
});
