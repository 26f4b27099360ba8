// Savepoints from the command line on a cluster: `weir savepoint <jobId> <dir>` while the job
// runs, `weir stop <jobId> --savepoint <dir>`, then `weir run --from-savepoint <path>` at another
// parallelism. The two runs' outputs together hold every key's running count exactly once.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";

const EVENTS = 6_000;
const KEYS = 13;

/** Every NDJSON line under `path` (a file, or a directory of part files). */
function readLines(path: string): { key: number; count: number }[] {
  const files = statSync(path).isDirectory() ? readdirSync(path).map((f) => join(path, f)) : [path];
  return files.flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { key: number; count: number }),
  );
}

function startRun(args: string[]) {
  const child = spawn(process.execPath, ["bin/weir.mjs", "run", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const jobId = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /job ([0-9a-f]+) submitted/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.once("exit", () => reject(new Error(`weir run ended before the job was accepted:\n${stderr}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { jobId, exit, stderr: () => stderr };
}

describe("savepoints from the command line, on a cluster", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-cli-savepoints-"));

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url));
    processes.push(await startWorkerProcess(server.url, 2, "sp-a"), await startWorkerProcess(server.url, 2, "sp-b"));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("weir savepoint, weir stop --savepoint, and weir run --from-savepoint at parallelism 3 give every count exactly once", async () => {
    const first = join(dir, "out-1");
    // Slow enough (24 s for every event) that the job is still running when it is stopped, even on a loaded machine.
    const run = startRun(["test/fixtures/jobs/checkpointed-counts.ts", "--nats", server.url, "-p", "2", "--", "--events", String(EVENTS), "--rate", "250", "--output", first]);
    const jobId = await run.jobId;
    // A savepoint needs a running job: retry briefly while it deploys.
    let taken: Awaited<ReturnType<typeof runWeir>> | undefined;
    for (let i = 0; i < 50 && taken?.code !== 0; i++) {
      taken = await runWeir(["savepoint", jobId, join(dir, "manual"), "--nats", server.url]);
      if (taken.code !== 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(taken?.code).toBe(0);
    const manual = taken!.stdout.trim();
    expect(existsSync(join(manual.replace(/^file:\/\//, ""), "_metadata"))).toBe(true);

    const stopped = await runWeir(["stop", jobId, "--savepoint", join(dir, "stop"), "--nats", server.url]);
    expect(stopped.stderr).toBe(`job ${jobId} is stopping after its savepoint\n`);
    expect(stopped.code).toBe(0);
    expect(await run.exit).toBe(0);
    const savepoint = stopped.stdout.trim();

    const second = join(dir, "out-2");
    const resumed = await runWeir(["run", "test/fixtures/jobs/checkpointed-counts.ts", "--nats", server.url, "-p", "3", "--from-savepoint", savepoint, "--", "--events", String(EVENTS), "--rate", "20000", "--output", second], 60_000);
    expect(resumed.code).toBe(0);

    const before = readLines(first);
    const after = readLines(second);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    const seen = new Map<string, number>();
    for (const { key, count } of [...before, ...after]) seen.set(`${key}/${count}`, (seen.get(`${key}/${count}`) ?? 0) + 1);
    let lost = 0;
    let duplicated = 0;
    for (let key = 0; key < KEYS; key++) {
      const total = Math.floor(EVENTS / KEYS) + (key < EVENTS % KEYS ? 1 : 0);
      for (let c = 1; c <= total; c++) {
        const times = seen.get(`${key}/${c}`) ?? 0;
        if (times === 0) lost += 1;
        else duplicated += times - 1;
      }
    }
    expect({ lost, duplicated, lines: before.length + after.length }).toEqual({ lost: 0, duplicated: 0, lines: EVENTS });
  });

  it("weir savepoint of a job the cluster does not know says so and exits 2", async () => {
    const result = await runWeir(["savepoint", "0123456789abcdef", join(dir, "none"), "--nats", server.url]);
    expect([result.code, result.stderr]).toEqual([2, "weir: no job 0123456789abcdef is known to the job manager (`weir list` shows the jobs)\n"]);
  });
});
