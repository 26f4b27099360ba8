// Every keyed state kind on the heap backend: each handle reads and writes the state of the
// current key only, states are shared by name and must agree on their kind, and
// applyToAllKeys visits every key with state.

import { describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  KeyedStateBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
  type AggregateFunction,
} from "../../src/state/index.ts";
import { keyGroupOf, keyGroupRangeFor } from "../../src/runtime/key-groups.ts";

const average: AggregateFunction<number, { sum: number; n: number }, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  add: (value, acc) => ({ sum: acc.sum + value, n: acc.n + 1 }),
  getResult: (acc) => acc.sum / acc.n,
  merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
};

describe("ListState", () => {
  it("keeps one list per key, in the order elements were added", () => {
    const backend = new KeyedStateBackend();
    const list = backend.getListState(new ListStateDescriptor<number>("seen"));
    backend.setCurrentKey("a");
    list.add(1);
    list.addAll([2, 3]);
    backend.setCurrentKey("b");
    expect(list.get()).toEqual([]);
    list.add(10);
    backend.setCurrentKey("a");
    expect(list.get()).toEqual([1, 2, 3]);
    backend.setCurrentKey("b");
    expect(list.get()).toEqual([10]);
    expect(backend.size("seen")).toBe(2);
  });

  it("update replaces the elements and an empty update clears the key", () => {
    const backend = new KeyedStateBackend();
    const list = backend.getListState(new ListStateDescriptor<string>("l"));
    backend.setCurrentKey(7);
    list.addAll(["x", "y"]);
    list.update(["z"]);
    expect(list.get()).toEqual(["z"]);
    list.update([]);
    expect(list.get()).toEqual([]);
    expect(backend.size("l")).toBe(0);
  });

  it("get returns a copy: changing it does not change the state", () => {
    const backend = new KeyedStateBackend();
    const list = backend.getListState(new ListStateDescriptor<number>("l"));
    backend.setCurrentKey("k");
    list.addAll([1, 2]);
    list.get().push(99);
    expect(list.get()).toEqual([1, 2]);
  });

  it("clear forgets the current key's list only", () => {
    const backend = new KeyedStateBackend();
    const list = backend.getListState(new ListStateDescriptor<number>("l"));
    backend.setCurrentKey("a");
    list.add(1);
    backend.setCurrentKey("b");
    list.add(2);
    list.clear();
    expect(list.get()).toEqual([]);
    backend.setCurrentKey("a");
    expect(list.get()).toEqual([1]);
  });

  it("refuses undefined elements", () => {
    const backend = new KeyedStateBackend();
    const list = backend.getListState(new ListStateDescriptor<number | undefined>("l"));
    backend.setCurrentKey("k");
    expect(() => list.add(undefined)).toThrow("list state l: cannot add undefined");
    expect(() => list.addAll([1, undefined])).toThrow("cannot add undefined");
    expect(list.get()).toEqual([]);
  });
});

describe("ReducingState", () => {
  it("folds every added value with the reduce function, per key", () => {
    const backend = new KeyedStateBackend();
    const max = backend.getReducingState(new ReducingStateDescriptor<number>("max", (a, b) => Math.max(a, b)));
    backend.setCurrentKey("a");
    expect(max.get()).toBeUndefined();
    for (const n of [3, 9, 4]) max.add(n);
    backend.setCurrentKey("b");
    max.add(-5);
    backend.setCurrentKey("a");
    expect(max.get()).toBe(9);
    backend.setCurrentKey("b");
    expect(max.get()).toBe(-5);
    max.clear();
    expect(max.get()).toBeUndefined();
  });

  it("accepts a rich reduce function object", () => {
    const backend = new KeyedStateBackend();
    const concat = backend.getReducingState(new ReducingStateDescriptor<string>("concat", { reduce: (a: string, b: string) => `${a}+${b}` }));
    backend.setCurrentKey(1);
    concat.add("x");
    concat.add("y");
    expect(concat.get()).toBe("x+y");
  });
});

describe("AggregatingState", () => {
  it("adds inputs into an accumulator per key and returns the aggregate's result", () => {
    const backend = new KeyedStateBackend();
    const avg = backend.getAggregatingState(new AggregatingStateDescriptor("avg", average));
    backend.setCurrentKey("a");
    expect(avg.get()).toBeUndefined();
    avg.add(2);
    avg.add(4);
    backend.setCurrentKey("b");
    avg.add(10);
    backend.setCurrentKey("a");
    expect(avg.get()).toBe(3);
    backend.setCurrentKey("b");
    expect(avg.get()).toBe(10);
    avg.clear();
    expect(avg.get()).toBeUndefined();
  });
});

describe("MapState", () => {
  it("keeps one map per key with put, get, contains and remove", () => {
    const backend = new KeyedStateBackend();
    const pages = backend.getMapState(new MapStateDescriptor<string, number>("pages"));
    backend.setCurrentKey("alice");
    pages.put("home", 1);
    pages.put("cart", 2);
    backend.setCurrentKey("bob");
    expect(pages.isEmpty()).toBe(true);
    expect(pages.get("home")).toBeUndefined();
    pages.put("home", 5);
    backend.setCurrentKey("alice");
    expect(pages.get("home")).toBe(1);
    expect(pages.contains("cart")).toBe(true);
    pages.remove("cart");
    expect(pages.contains("cart")).toBe(false);
    expect(pages.entries()).toEqual([["home", 1]]);
    backend.setCurrentKey("bob");
    expect(pages.entries()).toEqual([["home", 5]]);
  });

  it("lists keys, values and entries in insertion order, and putAll takes a Map or pairs", () => {
    const backend = new KeyedStateBackend();
    const m = backend.getMapState(new MapStateDescriptor<string, number>("m"));
    backend.setCurrentKey("k");
    m.putAll(new Map([["x", 1], ["y", 2]]));
    m.putAll([["z", 3]]);
    expect(m.keys()).toEqual(["x", "y", "z"]);
    expect(m.values()).toEqual([1, 2, 3]);
    expect(m.entries()).toEqual([["x", 1], ["y", 2], ["z", 3]]);
  });

  it("compares user keys by value, objects included", () => {
    const backend = new KeyedStateBackend();
    const m = backend.getMapState(new MapStateDescriptor<{ day: number; hour: number }, string>("slots"));
    backend.setCurrentKey("k");
    m.put({ day: 1, hour: 9 }, "standup");
    expect(m.get({ day: 1, hour: 9 })).toBe("standup");
    expect(m.contains({ day: 1, hour: 10 })).toBe(false);
    expect(m.keys()).toEqual([{ day: 1, hour: 9 }]);
  });

  it("removing the last entry or clearing leaves the key without state", () => {
    const backend = new KeyedStateBackend();
    const m = backend.getMapState(new MapStateDescriptor<string, number>("m"));
    backend.setCurrentKey("a");
    m.put("x", 1);
    m.remove("x");
    expect(m.isEmpty()).toBe(true);
    backend.setCurrentKey("b");
    m.put("y", 2);
    m.clear();
    expect(backend.size("m")).toBe(0);
  });

  it("entries are copies, safe to iterate while removing", () => {
    const backend = new KeyedStateBackend();
    const m = backend.getMapState(new MapStateDescriptor<number, number>("m"));
    backend.setCurrentKey("k");
    for (let i = 0; i < 5; i++) m.put(i, i * i);
    for (const [key] of m.entries()) if (key % 2 === 0) m.remove(key);
    expect(m.keys()).toEqual([1, 3]);
  });
});

describe("the keyed state backend", () => {
  it("keeps a ValueState's API: default, update, clear", () => {
    const backend = new KeyedStateBackend();
    const v = backend.getState(new ValueStateDescriptor("v", 0));
    backend.setCurrentKey("k");
    expect(v.value()).toBe(0);
    v.update(3);
    expect(v.value()).toBe(3);
    v.clear();
    expect(v.value()).toBe(0);
  });

  it("refuses a name used for another kind of state", () => {
    const backend = new KeyedStateBackend();
    backend.getState(new ValueStateDescriptor<number>("x"));
    expect(() => backend.getListState(new ListStateDescriptor<number>("x"))).toThrow('state "x" is value state; it cannot be used as list state');
  });

  it("refuses to turn TTL on or off for an existing state", () => {
    const backend = new KeyedStateBackend();
    backend.getState(new ValueStateDescriptor<number>("x"));
    const ttl = StateTtlConfig.newBuilder(1000).build();
    expect(() => backend.getState(new ValueStateDescriptor<number>("x").enableTimeToLive(ttl))).toThrow("turning TTL on for existing state is not supported");
  });

  it("computes the current key's key group from the key, once per key", () => {
    const backend = new KeyedStateBackend({ maxParallelism: 64 });
    for (const key of ["a", 17, [1, "x"], { id: 3 }]) {
      backend.setCurrentKey(key);
      expect(backend.currentKeyGroup).toBe(keyGroupOf(key, 64));
    }
  });

  it("refuses a key whose key group belongs to another subtask", () => {
    const range = keyGroupRangeFor(0, 2, 128);
    const backend = new KeyedStateBackend({ maxParallelism: 128, keyGroupRange: range });
    let foreign = 0;
    while (keyGroupOf(foreign, 128) <= range.end) foreign++;
    expect(() => backend.setCurrentKey(foreign)).toThrow(`outside this subtask's key groups ${range.start}..${range.end}`);
  });

  it("refuses a key group range that does not fit maxParallelism", () => {
    expect(() => new KeyedStateBackend({ maxParallelism: 8, keyGroupRange: { start: 4, end: 8 } })).toThrow("key group range 4..8 does not fit in maxParallelism 8");
  });

  it("applyToAllKeys visits every key with state, with that key current, and restores the key before", () => {
    const backend = new KeyedStateBackend({ maxParallelism: 16 });
    const list = backend.getListState(new ListStateDescriptor<number>("l"));
    const keys = ["a", "b", "c", "d", "e"];
    keys.forEach((key, i) => {
      backend.setCurrentKey(key);
      list.add(i);
    });
    backend.setCurrentKey("b");
    list.clear();
    backend.setCurrentKey("zz");
    const visited: [unknown, number[]][] = [];
    backend.applyToAllKeys(new ListStateDescriptor<number>("l"), (key, state) => {
      expect(backend.currentKey).toEqual(key);
      visited.push([key, state.get()]);
      state.add(100);
    });
    expect(visited.sort(([a], [b]) => String(a).localeCompare(String(b)))).toEqual([["a", [0]], ["c", [2]], ["d", [3]], ["e", [4]]]);
    expect(backend.currentKey).toBe("zz");
    backend.setCurrentKey("c");
    expect(list.get()).toEqual([2, 100]);
  });

  it("getStateFor hands out the handle of any descriptor kind", () => {
    const backend = new KeyedStateBackend();
    backend.setCurrentKey("k");
    backend.getStateFor(new ListStateDescriptor<number>("l")).add(1);
    backend.getStateFor(new MapStateDescriptor<string, number>("m")).put("a", 1);
    backend.getStateFor(new AggregatingStateDescriptor("avg", average)).add(4);
    expect(backend.getListState(new ListStateDescriptor<number>("l")).get()).toEqual([1]);
    expect(backend.getMapState(new MapStateDescriptor<string, number>("m")).get("a")).toBe(1);
    expect(backend.getAggregatingState(new AggregatingStateDescriptor("avg", average)).get()).toBe(4);
  });
});
