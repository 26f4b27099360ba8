// Word count as a user runs it: embedded with `weir run`, and on a real NATS server with a job
// manager and two worker processes. Both must give exactly the independently computed counts.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { expectedWordCounts, finalCounts, generateText } from "../fixtures/word-count-expectation.ts";

describe("word count over NATS with a job manager and two worker processes", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-wc-"));
  const input = join(dir, "input.txt");
  const text = generateText(5000);
  const expected = expectedWordCounts(text);

  beforeAll(async () => {
    writeFileSync(input, text);
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url)];
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 2, "worker-a"), startWorkerProcess(server.url, 2, "worker-b")])));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("gives exact counts when run embedded with `weir run`", async () => {
    const output = join(dir, "embedded.ndjson");
    const result = await runWeir(["run", "examples/word-count.ts", "--", "--input", input, "--output", output]);
    expect(result.stderr).toContain("finished");
    expect(result.code).toBe(0);
    const { totals, lines, nonIncreasing } = finalCounts(readFileSync(output, "utf8"));
    expect(totals).toEqual(expected);
    expect(nonIncreasing).toEqual([]);
    expect(lines).toBe([...expected.values()].reduce((a, b) => a + b, 0));
  });

  it("gives the same exact counts on the cluster, with subtasks on both workers", async () => {
    const output = join(dir, "cluster.ndjson");
    const result = await runWeir(["run", "examples/word-count.ts", "--nats", server.url, "--parallelism", "2", "--", "--input", input, "--output", output]);
    expect(result.stderr).toContain("finished");
    expect(result.code).toBe(0);
    const { totals, nonIncreasing } = finalCounts(readFileSync(output, "utf8"));
    expect(totals).toEqual(expected);
    expect(nonIncreasing).toEqual([]);
    // Slots are spread over workers: each worker ran subtasks of this job.
    const [, workerA, workerB] = processes;
    expect(workerA.logs()).toMatch(/"subtask":\d/);
    expect(workerB.logs()).toMatch(/"subtask":\d/);
  });

  it("fails a job whose module is missing with a clear error and exit code 1", async () => {
    const result = await runWeir(["run", join(dir, "no-such-job.ts"), "--nats", server.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not found");
  });
});
