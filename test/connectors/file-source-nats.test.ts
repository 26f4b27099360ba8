// The file source's split enumerator on a NATS cluster: a job manager (where the enumerator runs),
// three worker processes, and a watched directory that keeps getting files while the job runs. A
// worker running the job's subtasks is killed with SIGKILL once a checkpoint exists: the job
// restarts from it, the enumerator from its checkpointed state and the readers from their split
// positions. Every line of every file reaches the file sink and the client exactly once
// (lost = 0, duplicated = 0), counted against the lines written.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/watched-files.ts";
const FILES = 60;
const LINES_PER_FILE = 100;

/** lost: numbers written but never seen; duplicated: extra sightings, and numbers never written. */
function countLines(seen: readonly number[], total: number): { lost: number; duplicated: number } {
  const times = new Map<number, number>();
  for (const n of seen) times.set(n, (times.get(n) ?? 0) + 1);
  let lost = 0;
  for (let n = 0; n < total; n++) if (!times.has(n)) lost++;
  const duplicated = [...times.entries()].reduce((sum, [n, t]) => sum + (n >= 0 && n < total ? t - 1 : t), 0);
  return { lost, duplicated };
}

describe("the file source's split enumerator on a NATS cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let workers: WeirProcess[] = [];
  const workerIds = ["files-a", "files-b", "files-c"];
  const dir = mkdtempSync(join(tmpdir(), "weir-files-nats-"));
  const watched = join(dir, "watched");
  const out = join(dir, "out");
  const results = join(dir, "results.json");
  const checkpoints = join(dir, "checkpoints");

  beforeAll(async () => {
    mkdirSync(watched);
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url, ["--heartbeat-timeout", "2000"]);
    workers = await Promise.all(workerIds.map((id) => startWorkerProcess(server.url, 2, id)));
  });

  afterAll(async () => {
    await Promise.all([jobManager, ...workers].filter(Boolean).map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** File `index` holds the numbers index*LINES_PER_FILE …, written aside and renamed in whole. */
  const addFile = (index: number) => {
    const aside = join(dir, `${index}.partial`);
    writeFileSync(aside, `${Array.from({ length: LINES_PER_FILE }, (_, i) => index * LINES_PER_FILE + i).join("\n")}\n`);
    renameSync(aside, join(watched, `f${String(index).padStart(3, "0")}.txt`));
  };

  const written = () => (existsSync(out) ? readdirSync(out).flatMap((name) => readFileSync(join(out, name), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as number)) : []);

  it("a worker killed mid-run: the job restarts from a checkpoint and every line reaches the file sink and the client exactly once", async () => {
    for (let i = 0; i < 10; i++) addFile(i);
    const child = spawn(process.execPath, ["bin/weir.mjs", "run", "--log-level", "info", JOB, "--nats", server.url, "--", "--dir", watched, "--checkpoints", checkpoints, "--out", out, "--results", results], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await until("the job to be submitted", () => /job ([0-9a-f]+) submitted/.test(stderr), 30_000);
      const jobId = /job ([0-9a-f]+) submitted/.exec(stderr)![1];
      // Files keep coming, one every 50 ms; the last 25 only once a worker was killed, so the kill is mid-run whatever the timing.
      let next = 10;
      let killed = false;
      const writer = setInterval(() => {
        if (next < (killed ? FILES : FILES - 25)) addFile(next++);
      }, 50);
      try {
        const runsSubtasks = (w: WeirProcess) => w.logs().split("\n").some((l) => l.includes(`"jobId":"${jobId}"`) && l.includes('"attempt":0,') && l.includes('"msg":"subtask running"'));
        const checkpointed = () => existsSync(join(checkpoints, jobId)) && readdirSync(join(checkpoints, jobId)).some((n) => n.startsWith("chk-") && existsSync(join(checkpoints, jobId, n, "_metadata")));
        await until("a completed checkpoint and a worker running the job", () => checkpointed() && workers.some(runsSubtasks), 30_000);
        const victim = workers.find(runsSubtasks)!;
        await victim.stop("SIGKILL");
        killed = true;
        await until("every file written", () => next >= FILES, 30_000);
      } finally {
        clearInterval(writer);
      }
      await until("every line in the file sink", () => written().length >= FILES * LINES_PER_FILE, 60_000);
      const stop = await runWeir(["stop", jobId, "--savepoint", join(dir, "savepoints"), "--drain", "--nats", server.url]);
      expect(stop.code).toBe(0);
      expect(await exit).toBe(0);

      const restart = jobManager.logs().split("\n").find((line) => line.includes('"msg":"restarting the job"') && line.includes(jobId));
      expect(restart).toMatch(/"cause":"worker files-[abc] was lost/);
      const collected = JSON.parse(readFileSync(results, "utf8")) as number[];
      expect({ ...countLines(collected, FILES * LINES_PER_FILE), lines: collected.length }).toEqual({ lost: 0, duplicated: 0, lines: FILES * LINES_PER_FILE });
      const inFiles = written();
      expect({ ...countLines(inFiles, FILES * LINES_PER_FILE), lines: inFiles.length }).toEqual({ lost: 0, duplicated: 0, lines: FILES * LINES_PER_FILE });
    } finally {
      child.kill("SIGKILL");
    }
  });
});
