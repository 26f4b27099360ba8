// Joins as a user runs them: the same interval join and window join, embedded with `weir run` and
// on a real NATS server with a job manager and two worker processes at parallelism 2; both must
// equal the brute-force expectation.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { JOINS_JOB } from "../fixtures/jobs/joins.ts";
import { intervalJoin, slidingWindows, windowJoin } from "../joins/brute-force.ts";

const JOB = "test/fixtures/jobs/joins.ts";

const pairs = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { left: string; right: string })
    .map((p) => `${p.left}-${p.right}`)
    .sort();

describe("joins embedded and over NATS with a job manager and two worker processes", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-joins-"));
  const { lefts, rights } = JOINS_JOB;
  const expectedInterval = intervalJoin(lefts, rights, { lower: JOINS_JOB.lower, upper: JOINS_JOB.upper })
    .map((p) => `${p.left}-${p.right}`)
    .sort();
  const timestamps = [...lefts, ...rights].map((e) => e.ts);
  const expectedWindow = windowJoin(lefts, rights, slidingWindows(timestamps, JOINS_JOB.windowMs, JOINS_JOB.windowMs))
    .map((p) => `${p.left}-${p.right}`)
    .sort();

  beforeAll(async () => {
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url)];
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 2, "join-a"), startWorkerProcess(server.url, 2, "join-b")])));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("the expectations are not trivial", () => {
    expect(expectedInterval.length).toBeGreaterThan(100);
    expect(expectedWindow.length).toBeGreaterThan(100);
  });

  for (const mode of ["embedded", "cluster"] as const) {
    it(`${mode}: the interval join and the window join give exactly the expected pairs`, async () => {
      const interval = join(dir, `${mode}-interval.ndjson`);
      const window = join(dir, `${mode}-window.ndjson`);
      const cluster = mode === "cluster" ? ["--nats", server.url, "--parallelism", "2"] : [];
      const result = await runWeir(["run", JOB, ...cluster, "--", "--interval", interval, "--window", window]);
      expect(result.stderr).toContain("finished");
      expect(result.code).toBe(0);
      expect(pairs(interval)).toEqual(expectedInterval);
      expect(pairs(window)).toEqual(expectedWindow);
    });
  }
});
