// The same windowed job (sliding event-time windows, allowed lateness, late side output) run as a
// user runs it: embedded with `weir run`, and on a real NATS server with a job manager and two
// worker processes at parallelism 2. Both outputs must equal the brute-force expectation.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { WINDOWED_JOB, type WindowCount } from "../fixtures/jobs/windowed-counts.ts";
import { generateEvents, keyOf, sum, tsOf, type Event } from "../windowing/golden-inputs.ts";
import { eventTimeWindowing, punctuatedTrace, sortedJson } from "../windowing/reference-model.ts";

const JOB = "test/fixtures/jobs/windowed-counts.ts";

function readNdjson<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

describe("a windowed job embedded and over NATS with a job manager and two worker processes", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-windows-"));
  const events = generateEvents(WINDOWED_JOB.events, { seed: 42 });
  const model = eventTimeWindowing(punctuatedTrace(events, tsOf, WINDOWED_JOB.boundMs), keyOf, WINDOWED_JOB, WINDOWED_JOB.latenessMs);
  const expectedCounts = sortedJson(model.firings.map((f): WindowCount => ({ key: f.key, start: f.start, end: f.end, n: f.elements.length, sum: sum(f.elements) })));
  const expectedLate = sortedJson(model.late);

  beforeAll(async () => {
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url)];
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 2, "worker-a"), startWorkerProcess(server.url, 2, "worker-b")])));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("the expectation has late firings and late events (sanity of the data)", () => {
    expect(model.late.length).toBeGreaterThan(0);
    expect(new Set(model.firings.map((f) => `${f.key}${f.start}`)).size).toBeLessThan(model.firings.length);
  });

  it("embedded with `weir run`, gives exactly the expected windows and late events", async () => {
    const output = join(dir, "embedded.ndjson");
    const late = join(dir, "embedded-late.ndjson");
    const result = await runWeir(["run", JOB, "--", "--output", output, "--late", late]);
    expect(result.stderr).toContain("finished");
    expect(result.code).toBe(0);
    expect(sortedJson(readNdjson<WindowCount>(output))).toEqual(expectedCounts);
    expect(sortedJson(readNdjson<Event>(late))).toEqual(expectedLate);
  });

  it("over NATS at parallelism 2, gives the same windows and late events, with subtasks on both workers", async () => {
    const output = join(dir, "cluster.ndjson");
    const late = join(dir, "cluster-late.ndjson");
    const result = await runWeir(["run", JOB, "--nats", server.url, "--parallelism", "2", "--", "--output", output, "--late", late]);
    expect(result.stderr).toContain("finished");
    expect(result.code).toBe(0);
    expect(sortedJson(readNdjson<WindowCount>(output))).toEqual(expectedCounts);
    expect(sortedJson(readNdjson<Event>(late))).toEqual(expectedLate);
    const [, workerA, workerB] = processes;
    expect(workerA.logs()).toMatch(/"subtask":\d/);
    expect(workerB.logs()).toMatch(/"subtask":\d/);
  });
});
