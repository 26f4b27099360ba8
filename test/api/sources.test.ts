// Sources end to end: each built-in source runs on the embedded cluster and delivers exactly
// the records it describes, once each, however many subtasks it runs on.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { range, sorted } from "./comparisons.ts";
import { tagSubtask, valuesBySubtask } from "./subtask-tagging.ts";

describe("sources", () => {
  it("fromElements emits its values in order from a single subtask", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const out = await env.fromElements("alpha", "beta", "gamma", "beta").executeAndCollect();
    expect(out).toEqual(["alpha", "beta", "gamma", "beta"]);
  });

  it("fromElements keeps objects and arrays intact through the network", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const input = [{ id: 1, tags: ["a", "b"], nested: { ok: true } }, ["tuple", 2, null], { id: 3, tags: [], nested: { ok: false } }];
    // The rebalance to two map subtasks sends the records over real frames.
    const out = await env.fromElements<unknown>(...input).map((x) => x).executeAndCollect();
    expect(sorted(out)).toEqual(sorted(input));
  });

  it("fromCollection accepts any iterable, including a generator and a Set", async () => {
    function* squares(): Generator<number> {
      for (let i = 1; i <= 5; i++) yield i * i;
    }
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const fromGenerator = env.fromCollection(squares()).collect();
    const fromSet = env.fromCollection(new Set(["x", "y", "x", "z"])).collect();
    await env.execute();
    expect(fromGenerator.values).toEqual([1, 4, 9, 16, 25]);
    expect(fromSet.values).toEqual(["x", "y", "z"]);
  });

  it("fromElements with no values runs a job that produces nothing", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env.fromElements<number>().map((x) => x + 1).executeAndCollect();
    expect(out).toEqual([]);
  });

  it("fromSequence at parallelism 3 emits each number exactly once, split across all three subtasks", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const tagged = await env.fromSequence(10, 1009).map(tagSubtask<number>()).executeAndCollect();
    expect(sorted(tagged.map((t) => t.value))).toEqual(range(10, 1009));
    const bySubtask = valuesBySubtask(tagged);
    expect([...bySubtask.keys()].sort()).toEqual([0, 1, 2]);
    // Each subtask reads one contiguous range.
    for (const values of bySubtask.values()) expect(values).toEqual(range(values[0], values[values.length - 1]));
  });

  it("fromSequence of a single number works at a parallelism above its length", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    expect(await env.fromSequence(7, 7).executeAndCollect()).toEqual([7]);
  });

  it("fromSequence rejects a range that ends before it starts", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.fromSequence(5, 4)).toThrow("fromSequence(5, 4): expects integers with from <= to");
  });

  it("fromGenerator with a count calls the generator once per index across parallel subtasks", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const out = await env.fromGenerator((i) => ({ i, label: `n${i}` }), { count: 1000 }).executeAndCollect();
    const expected: { i: number; label: string }[] = [];
    for (let i = 0; i < 1000; i++) expected.push({ i, label: `n${i}` });
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it("fromGenerator with a rate limit still emits every index once and then ends", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env.fromGenerator((i) => i * 3, { count: 50, ratePerSecond: 1000 }).executeAndCollect();
    expect(sorted(out)).toEqual(range(0, 49).map((i) => i * 3));
  });

  it("fromGenerator rejects a rate that is not positive", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.fromGenerator((i) => i, { ratePerSecond: 0 })).toThrow("generator ratePerSecond must be > 0, got 0");
  });
});
