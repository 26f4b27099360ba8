// Many jobs on one cluster: three jobs of different shapes share two worker processes at once
// (every job has a `v1`, `v2`, …, so their subtasks meet on the same workers). One is canceled;
// the others finish with exactly their independently computed output. A cancel of an unknown job
// fails, and a job that cannot get its slots says what it waits for, then how many it needed and found.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { expectedWordCounts, finalCounts, generateText } from "../fixtures/word-count-expectation.ts";

const EVENTS = 4_000;

function startRun(args: string[]) {
  const child = spawn(process.execPath, ["bin/weir.mjs", "run", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let exited = false;
  const jobId = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /job ([0-9a-f]+) submitted/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.once("exit", () => reject(new Error(`weir run ended before the job was accepted:\n${stderr}`)));
  });
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exited = true;
      resolve(code);
    }),
  );
  return { jobId, exit, stderr: () => stderr, exited: () => exited };
}

function readLines(path: string): { key: number; count: number }[] {
  const files = statSync(path).isDirectory() ? readdirSync(path).map((f) => join(path, f)) : [path];
  return files.flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { key: number; count: number }),
  );
}

/** Every key's running counts 1..n, once each, as `key:count` sorted. */
function expectedRunningCounts(events: number): string[] {
  const perKey = new Map<number, number>();
  for (let i = 0; i < events; i++) perKey.set(i % 13, (perKey.get(i % 13) ?? 0) + 1);
  return [...perKey].flatMap(([key, n]) => Array.from({ length: n }, (_, c) => `${key}:${c + 1}`)).sort();
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("three jobs sharing two worker processes", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-many-jobs-"));

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url, ["--slot-timeout", "3000"]));
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 3, "mj-a"), startWorkerProcess(server.url, 3, "mj-b")])));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs them at once; canceling one leaves the others exact; an unknown job cannot be canceled", async () => {
    const [, workerA, workerB] = processes;
    // An endless job (to be canceled) and a slow counting job, both at parallelism 2.
    const endless = startRun(["test/fixtures/jobs/endless.ts", "--nats", server.url, "-p", "2"]);
    const countsOut = join(dir, "counts");
    const counts = startRun(["test/fixtures/jobs/checkpointed-counts.ts", "--nats", server.url, "-p", "2", "--", "--events", String(EVENTS), "--rate", "250", "--output", countsOut]);
    const [endlessId, countsId] = await Promise.all([endless.jobId, counts.jobId]);
    // Both run on the workers before the third job starts.
    const running = (jobId: string) => () => `${workerA.logs()}${workerB.logs()}`.split("\n").some((l) => l.includes(jobId) && l.includes('"state":"running"'));
    await waitFor(running(endlessId), "the endless job's subtasks to run");
    await waitFor(running(countsId), "the counting job's subtasks to run");

    // Word count, a third shape, on the same workers while the others run.
    const text = generateText(3000);
    const input = join(dir, "input.txt");
    writeFileSync(input, text);
    const wcOut = join(dir, "wc.ndjson");
    const wc = await runWeir(["run", "examples/word-count.ts", "--nats", server.url, "-p", "2", "--", "--input", input, "--output", wcOut], 90_000);
    expect(wc.stderr).toContain("finished");
    expect(wc.code).toBe(0);
    const { totals, nonIncreasing } = finalCounts(readFileSync(wcOut, "utf8"));
    expect(totals).toEqual(expectedWordCounts(text));
    expect(nonIncreasing).toEqual([]);

    // Every worker ran subtasks of all three jobs' vertex v1 at some point: identities must not collide.
    const logs = `${workerA.logs()}${workerB.logs()}`;
    const wcId = /job ([0-9a-f]+) submitted/.exec(wc.stderr)![1];
    for (const jobId of [endlessId, countsId, wcId]) expect(logs).toContain(`"jobId":"${jobId}","vertex":"v1"`);

    // Cancel the endless job while the counting job still runs.
    expect(counts.exited()).toBe(false);
    const canceled = await runWeir(["cancel", endlessId, "--nats", server.url]);
    expect(canceled.stderr).toBe(`job ${endlessId} is canceling\n`);
    expect(canceled.code).toBe(0);
    expect(await endless.exit).toBe(1);
    expect(endless.stderr()).toContain(`job ${endlessId} canceled`);

    expect(await counts.exit).toBe(0);
    const lines = readLines(countsOut).map((l) => `${l.key}:${l.count}`).sort();
    expect(lines).toEqual(expectedRunningCounts(EVENTS));

    const unknown = await runWeir(["cancel", "0123456789abcdef", "--nats", server.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("weir: no job 0123456789abcdef is known to the job manager (`weir list` shows the jobs)\n");
  }, 180_000);

  it("a job that cannot get its slots says what it waits for, then fails with how many it needed and found", async () => {
    const result = await runWeir(["run", "test/fixtures/jobs/endless.ts", "--nats", server.url, "-p", "7"], 60_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/job [0-9a-f]+ scheduling: waiting for slots \(0 of 3 s\): job [0-9a-f]+ needs 7 slots, found 6 free on 2 worker\(s\)/);
    expect(result.stderr).toMatch(/failed: could not get 7 slots within 3000 ms: job [0-9a-f]+ needs 7 slots, found 6 free on 2 worker\(s\): start more workers/);
  }, 60_000);
});
