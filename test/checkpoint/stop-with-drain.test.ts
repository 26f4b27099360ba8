// Stop-with-savepoint, with and without drain, on an event-time window count: draining ends event
// time first (a final +∞ watermark), so the windows still open fire before the job stops; without
// drain they do not fire, and their contents travel in the savepoint instead — a run resumed from
// it fires them. Counted against windows computed here from the input alone.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type RestoreSettings } from "../../src/index.ts";
import type { CollectedStream } from "../../src/api/data-stream.ts";
import { heldSource } from "./held-source.ts";

const dir = mkdtempSync(join(tmpdir(), "weir-drain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVENTS = 1_000;
const KEYS = 3;
/** Event time of number v: 10 ms apart, so 100 numbers per 1 s window. */
const timeOf = (v: number) => v * 10;

/** Window counts per key, from number 0 up to `upTo` (all released at once, then the source stays open). */
function windowJob(upTo: number, restoreFrom?: RestoreSettings): { env: StreamExecutionEnvironment; out: CollectedStream<string> } {
  const env = new StreamExecutionEnvironment({ parallelism: 1, restoreFrom });
  const out = env
    .fromSource(heldSource({ count: EVENTS, holdFrom: upTo, release: () => false, end: () => upTo >= EVENTS }), "Numbers")
    .uid("numbers")
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner(timeOf))
    .uid("timestamps")
    .keyBy((v) => v % KEYS)
    .window(TumblingEventTimeWindows.of(1_000))
    .aggregate<number, number, string>({ createAccumulator: () => 0, add: (_v: number, acc: number) => acc + 1, getResult: (acc: number) => acc, merge: (a: number, b: number) => a + b }, (key: number, context, counts, collector) => {
      for (const count of counts) collector.collect(`${key}@${context.window().start}=${count}`);
    })
    .uid("windows")
    .collect();
  return { env, out };
}

/** The windows of the numbers in [from, to): key@start=count. */
function windowsOf(from: number, to: number): string[] {
  const counts = new Map<string, number>();
  for (let v = from; v < to; v++) {
    const id = `${v % KEYS}@${Math.floor(timeOf(v) / 1_000) * 1_000}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts].map(([id, n]) => `${id}=${n}`).sort();
}

async function untilCollected(out: CollectedStream<string>, n: number): Promise<void> {
  while (out.values.length < n) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("stop with a savepoint", () => {
  it("with drain, the windows still open fire before the job stops", async () => {
    // 450 numbers: windows 0–3 are complete; window 4 holds 50 numbers and is still open.
    const run = windowJob(450);
    const client = await run.env.executeAsync("drain");
    await untilCollected(run.out, windowsOf(0, 400).length);
    await client.stopWithSavepoint(dir, { drain: true });
    await client.result;
    expect([...run.out.values].sort()).toEqual(windowsOf(0, 450));
  });

  it("without drain, open windows do not fire; they are in the savepoint and fire in the run resumed from it", async () => {
    const run = windowJob(450);
    const client = await run.env.executeAsync("terminate");
    await untilCollected(run.out, windowsOf(0, 400).length);
    const savepoint = await client.stopWithSavepoint(dir);
    await client.result;
    expect([...run.out.values].sort()).toEqual(windowsOf(0, 400));

    const resumed = windowJob(EVENTS, { location: savepoint, allowNonRestoredState: false });
    await resumed.env.execute("resumed");
    expect([...run.out.values, ...resumed.out.values].sort()).toEqual(windowsOf(0, EVENTS));
  });
});
