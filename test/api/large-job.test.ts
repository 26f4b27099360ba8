// A larger job: 200k generated records through keyBy at parallelism 4 with 1000 keys. More data
// than the in-process channels can buffer, so credits and backpressure must hold every record;
// per-key counts and sums are compared with a plain loop over the same generator.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/index.ts";

const COUNT = 200_000;
const KEYS = 1000;

/** A skewed key distribution (i² mod 1000 hits some keys far more often than others). */
function generate(i: number): { key: number; value: number; one: number } {
  return { key: (i * i) % KEYS, value: i, one: 1 };
}

function expectedPerKey(): Map<number, { count: number; sum: number }> {
  const expected = new Map<number, { count: number; sum: number }>();
  for (let i = 0; i < COUNT; i++) {
    const { key, value } = generate(i);
    const e = expected.get(key) ?? { count: 0, sum: 0 };
    e.count += 1;
    e.sum += value;
    expected.set(key, e);
  }
  return expected;
}

describe("a large keyed job", () => {
  it("200k records over 1000 keys at parallelism 4 give exact per-key counts and sums", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    const counts = new Map<number, number>();
    const sums = new Map<number, number>();
    let sinkCalls = 0;
    const keyed = env.fromGenerator(generate, { count: COUNT }).keyBy((r) => r.key);
    // Rolling sums: the last (largest) value per key is the key's total.
    keyed.sum("one").addSink((r) => {
      sinkCalls += 1;
      counts.set(r.key, Math.max(counts.get(r.key) ?? 0, r.one));
    });
    keyed
      .reduce((a, b) => ({ key: a.key, value: a.value + b.value, one: a.one + b.one }))
      .rebalance()
      .map((r) => r)
      .setParallelism(2)
      .addSink((r) => sums.set(r.key, Math.max(sums.get(r.key) ?? 0, r.value)))
      .setParallelism(2);
    await env.execute("large keyed job");

    const expected = expectedPerKey();
    expect(sinkCalls).toBe(COUNT);
    expect(counts.size).toBe(expected.size);
    for (const [key, { count, sum }] of expected) {
      expect(counts.get(key)).toBe(count);
      expect(sums.get(key)).toBe(sum);
    }
  });

  it("collect() returns all 200k records of a parallel job", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    const out = await env
      .fromSequence(0, COUNT - 1)
      .keyBy((n) => n % KEYS)
      .map((n) => n * 2)
      .executeAndCollect();
    expect(out).toHaveLength(COUNT);
    const seen = new Uint8Array(COUNT);
    for (const v of out) seen[v / 2] += 1;
    expect(seen.every((n) => n === 1)).toBe(true);
  });
});
