// The LMDB backend in whole jobs: a tumbling event-time window count (the window operator writes
// its per-key windows back, since LMDB hands out copies) gives exactly what the heap backend gives
// and what a brute-force count computes here.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type StateBackendKind } from "../../src/index.ts";

const stateDir = mkdtempSync(join(tmpdir(), "weir-lmdb-jobs-"));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const EVENTS = Array.from({ length: 3_000 }, (_, i) => ({ key: `k${(i * 7) % 23}`, time: i * 10 }));

async function windowCounts(backend: StateBackendKind): Promise<string[]> {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env.setStateBackend(backend, backend === "lmdb" ? stateDir : undefined);
  const out = env
    .fromCollection(EVENTS)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ key: string; time: number }>().withTimestampAssigner((e) => e.time))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1_000))
    .aggregate({ createAccumulator: () => 0, add: (_e: unknown, acc: number) => acc + 1, getResult: (acc: number) => acc, merge: (a: number, b: number) => a + b }, (key: string, context, counts, collector) => {
      for (const count of counts) collector.collect(`${key}@${context.window().start}=${count}`);
    })
    .collect();
  await env.execute(`windows-${backend}`);
  return (out.values as string[]).sort();
}

describe("the LMDB state backend in jobs", () => {
  it("a tumbling window count on LMDB equals the heap backend's and a brute-force count", async () => {
    const expected = new Map<string, number>();
    for (const e of EVENTS) {
      const id = `${e.key}@${Math.floor(e.time / 1_000) * 1_000}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const brute = [...expected].map(([id, n]) => `${id}=${n}`).sort();
    expect(await windowCounts("lmdb")).toEqual(brute);
    expect(await windowCounts("heap")).toEqual(brute);
  });
});
