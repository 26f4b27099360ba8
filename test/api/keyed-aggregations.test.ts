// keyBy and the rolling aggregations: records with equal keys meet in one subtask, reduce emits
// the running result after every record, and sum/min/max/minBy/maxBy follow Flink's semantics
// (min and max keep the first record's other fields; minBy and maxBy keep the whole record).
// Expectations are computed here with plain loops over the input.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment, type RuntimeContext } from "../../src/index.ts";
import { sorted } from "./comparisons.ts";
import { tagSubtask } from "./subtask-tagging.ts";

interface Reading {
  sensor: string;
  temp: number;
  seq: number;
}

/** Readings with repeated sensors, ties and out-of-order temperatures. */
const READINGS: Reading[] = [
  { sensor: "a", temp: 20, seq: 1 },
  { sensor: "b", temp: 15, seq: 2 },
  { sensor: "a", temp: 18, seq: 3 },
  { sensor: "c", temp: 30, seq: 4 },
  { sensor: "b", temp: 15, seq: 5 },
  { sensor: "a", temp: 25, seq: 6 },
  { sensor: "c", temp: 10, seq: 7 },
  { sensor: "b", temp: 12, seq: 8 },
  { sensor: "a", temp: 18, seq: 9 },
  { sensor: "c", temp: 30, seq: 10 },
];

/** Output records grouped by key, in the order they were emitted. */
function sequencesByKey<T>(records: readonly T[], keyOf: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of records) out.set(keyOf(r), [...(out.get(keyOf(r)) ?? []), r]);
  return out;
}

/** The expected rolling output: for each input, the fold of all inputs with its key so far. */
function rolling<T>(input: readonly T[], keyOf: (r: T) => string, step: (acc: T, next: T) => T): Map<string, T[]> {
  const acc = new Map<string, T>();
  const out = new Map<string, T[]>();
  for (const r of input) {
    const k = keyOf(r);
    const next = acc.has(k) ? step(acc.get(k)!, r) : r;
    acc.set(k, next);
    out.set(k, [...(out.get(k) ?? []), next]);
  }
  return out;
}

/** fromElements runs on one subtask, so each key's records reach its keyed subtask in input order. */
async function runKeyed<T>(input: readonly T[], build: (env: StreamExecutionEnvironment) => { values: T[] }): Promise<T[]> {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  const out = build(env);
  await env.execute();
  expect(out.values).toHaveLength(input.length);
  return out.values;
}

describe("keyBy and rolling reduce", () => {
  it("reduce emits, per key, the running reduction in input order", async () => {
    const input = READINGS.map((r) => ({ sensor: r.sensor, path: String(r.seq) }));
    // Concatenation is not commutative: the sequence also checks per-key order.
    const step = (a: { sensor: string; path: string }, b: { sensor: string; path: string }) => ({ sensor: a.sensor, path: `${a.path}-${b.path}` });
    const out = await runKeyed(input, (env) =>
      env
        .fromCollection(input)
        .keyBy((r) => r.sensor)
        .reduce(step)
        .collect(),
    );
    expect(sequencesByKey(out, (r) => r.sensor)).toEqual(rolling(input, (r) => r.sensor, step));
  });

  it("reduce accepts a rich function object, opened once per subtask", async () => {
    const opened: number[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromSequence(1, 100)
      .map((n) => ({ k: n % 5, n }))
      .keyBy((r) => r.k)
      .reduce({
        open(ctx: RuntimeContext) {
          opened.push(ctx.subtaskIndex);
        },
        reduce: (a: { k: number; n: number }, b: { k: number; n: number }) => ({ k: a.k, n: a.n + b.n }),
      })
      .executeAndCollect();
    expect(opened.sort()).toEqual([0, 1]);
    expect(out).toHaveLength(100);
    // Inputs are positive, so each key's largest running sum is its total.
    const totals = new Map<number, number>();
    for (let n = 1; n <= 100; n++) totals.set(n % 5, (totals.get(n % 5) ?? 0) + n);
    const largest = new Map<number, number>();
    for (const r of out) largest.set(r.k, Math.max(largest.get(r.k) ?? 0, r.n));
    expect(largest).toEqual(totals);
  });

  it("keyBy sends all records of a key to one subtask, and spreads keys over subtasks", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const tagged = await env
      .fromGenerator((i) => `key-${(i * 7) % 60}`, { count: 3000 })
      .keyBy((k) => k)
      .map(tagSubtask<string>())
      .executeAndCollect();
    expect(tagged).toHaveLength(3000);
    const subtasksOfKey = new Map<string, Set<number>>();
    for (const t of tagged) subtasksOfKey.set(t.value, (subtasksOfKey.get(t.value) ?? new Set()).add(t.subtask));
    expect(subtasksOfKey.size).toBe(60);
    for (const subtasks of subtasksOfKey.values()) expect(subtasks.size).toBe(1);
    const used = new Set([...subtasksOfKey.values()].map((s) => [...s][0]));
    expect(used.size).toBeGreaterThan(1);
  });

  it("keyBy on object keys groups keys that are equal by value, not by identity", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const input = [
      { k: { region: "eu", id: 1 }, n: 1 },
      { k: { region: "us", id: 1 }, n: 10 },
      { k: { region: "eu", id: 1 }, n: 100 },
      { k: { region: "eu", id: 2 }, n: 1000 },
      { k: { region: "us", id: 1 }, n: 10000 },
    ];
    const out = await env
      .fromCollection(input)
      .keyBy((r) => r.k)
      .sum("n")
      .executeAndCollect();
    const expected = rolling(input, (r) => JSON.stringify(r.k), (a, b) => ({ k: a.k, n: a.n + b.n }));
    expect(sequencesByKey(out, (r) => JSON.stringify(r.k))).toEqual(expected);
  });
});

describe("aggregations on object fields", () => {
  const keyOf = (r: Reading) => r.sensor;

  it("sum adds the field and keeps the first record's other fields", async () => {
    const out = await runKeyed(READINGS, (env) => env.fromCollection(READINGS).keyBy(keyOf).sum("temp").collect());
    expect(sequencesByKey(out, keyOf)).toEqual(rolling(READINGS, keyOf, (a, b) => ({ ...a, temp: a.temp + b.temp })));
  });

  it("min keeps the minimum of the field but the first record's other fields", async () => {
    const out = await runKeyed(READINGS, (env) => env.fromCollection(READINGS).keyBy(keyOf).min("temp").collect());
    const expected = rolling(READINGS, keyOf, (a, b) => ({ ...a, temp: Math.min(a.temp, b.temp) }));
    expect(sequencesByKey(out, keyOf)).toEqual(expected);
    // Spelled out for sensor a: seq stays 1 although the minimum 18 came from seq 3.
    expect(sequencesByKey(out, keyOf).get("a")).toEqual([
      { sensor: "a", temp: 20, seq: 1 },
      { sensor: "a", temp: 18, seq: 1 },
      { sensor: "a", temp: 18, seq: 1 },
      { sensor: "a", temp: 18, seq: 1 },
    ]);
  });

  it("max keeps the maximum of the field but the first record's other fields", async () => {
    const out = await runKeyed(READINGS, (env) => env.fromCollection(READINGS).keyBy(keyOf).max("temp").collect());
    expect(sequencesByKey(out, keyOf)).toEqual(rolling(READINGS, keyOf, (a, b) => ({ ...a, temp: Math.max(a.temp, b.temp) })));
  });

  it("minBy emits the whole record with the minimum, keeping the earlier record on ties", async () => {
    const out = await runKeyed(READINGS, (env) => env.fromCollection(READINGS).keyBy(keyOf).minBy("temp").collect());
    expect(sequencesByKey(out, keyOf)).toEqual(rolling(READINGS, keyOf, (a, b) => (b.temp < a.temp ? b : a)));
    // Sensor a: 18 at seq 3, then a tie with 18 at seq 9 keeps seq 3.
    expect(sequencesByKey(out, keyOf).get("a")!.map((r) => r.seq)).toEqual([1, 3, 3, 3]);
  });

  it("maxBy emits the whole record with the maximum, keeping the earlier record on ties", async () => {
    const out = await runKeyed(READINGS, (env) => env.fromCollection(READINGS).keyBy(keyOf).maxBy("temp").collect());
    expect(sequencesByKey(out, keyOf)).toEqual(rolling(READINGS, keyOf, (a, b) => (b.temp > a.temp ? b : a)));
    // Sensor c: 30 at seq 4, then a tie with 30 at seq 10 keeps seq 4.
    expect(sequencesByKey(out, keyOf).get("c")!.map((r) => r.seq)).toEqual([4, 4, 4]);
  });
});

describe("aggregations on tuple positions", () => {
  type Tuple = [string, number, string];
  const TUPLES: Tuple[] = READINGS.map((r) => [r.sensor, r.temp, `#${r.seq}`]);
  const keyOf = (t: Tuple) => t[0];

  it("sum on position 1 adds that position and keeps the first tuple's other positions", async () => {
    const out = await runKeyed(TUPLES, (env) => env.fromCollection(TUPLES).keyBy(keyOf).sum(1).collect());
    expect(sequencesByKey(out, keyOf)).toEqual(rolling(TUPLES, keyOf, (a, b): Tuple => [a[0], a[1] + b[1], a[2]]));
    for (const t of out) expect(Array.isArray(t)).toBe(true);
  });

  it("min on position 1 keeps the first tuple's label while minBy takes the minimal tuple's label", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const keyed = env.fromCollection(TUPLES).keyBy(keyOf);
    const mins = keyed.min(1).collect();
    const minBys = keyed.minBy(1).collect();
    await env.execute();
    expect(sequencesByKey(mins.values, keyOf)).toEqual(rolling(TUPLES, keyOf, (a, b): Tuple => [a[0], Math.min(a[1], b[1]), a[2]]));
    expect(sequencesByKey(minBys.values, keyOf)).toEqual(rolling(TUPLES, keyOf, (a, b) => (b[1] < a[1] ? b : a)));
    const lastOf = (m: Map<string, Tuple[]>, k: string) => m.get(k)![m.get(k)!.length - 1];
    expect(lastOf(sequencesByKey(mins.values, keyOf), "b")).toEqual(["b", 12, "#2"]);
    expect(lastOf(sequencesByKey(minBys.values, keyOf), "b")).toEqual(["b", 12, "#8"]);
  });

  it("max and maxBy on position 1 differ the same way", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const keyed = env.fromCollection(TUPLES).keyBy(keyOf);
    const maxes = keyed.max(1).collect();
    const maxBys = keyed.maxBy(1).collect();
    await env.execute();
    expect(sequencesByKey(maxes.values, keyOf)).toEqual(rolling(TUPLES, keyOf, (a, b): Tuple => [a[0], Math.max(a[1], b[1]), a[2]]));
    expect(sequencesByKey(maxBys.values, keyOf)).toEqual(rolling(TUPLES, keyOf, (a, b) => (b[1] > a[1] ? b : a)));
  });

  it("an aggregation on a field that is not a number fails the job and names the field", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements({ k: "x", v: "1" }, { k: "x", v: "2" }).keyBy((r) => r.k).sum("v").collect();
    await expect(env.execute()).rejects.toThrow('sum("v"): field is string, not a number');
  });
});

it("sorted results of independent keyed pipelines do not depend on parallelism", async () => {
  const words = "to be or not to be that is the question whether tis nobler in the mind to suffer".split(" ");
  const expected = new Map<string, number>();
  for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 1);
  for (const parallelism of [1, 2, 4]) {
    const env = new StreamExecutionEnvironment({ parallelism });
    const out = await env
      .fromCollection(words)
      .map((w) => ({ w, n: 1 }))
      .keyBy((r) => r.w)
      .sum("n")
      .executeAndCollect();
    const finals = new Map<string, number>();
    for (const r of out) finals.set(r.w, Math.max(finals.get(r.w) ?? 0, r.n));
    expect(sorted([...finals])).toEqual(sorted([...expected]));
  }
});
