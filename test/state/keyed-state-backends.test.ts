// One behaviour table for every keyed state kind, run against the heap backend and the LMDB backend
// (with its write buffer, and with every write committed at once, so reads come from LMDB): each
// handle reads and writes the current key's state only, states are shared by name and must agree
// on their kind, and applyToAllKeys visits every key with state.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { keyGroupOf, keyGroupRangeFor } from "../../src/core/key-groups.ts";
import {
  AggregatingStateDescriptor,
  HeapKeyedStateBackend,
  type KeyedStateBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
  type AggregateFunction,
  type KeyedStateBackendOptions,
  type StateSerializer,
} from "../../src/state/index.ts";
import { LmdbKeyedStateBackend } from "../../src/state/lmdb/index.ts";

/** The interface both backends implement, and the normalized key both compute. */
type KeyedBackend = KeyedStateBackend & { readonly currentNormalizedKey: unknown };

const opened: LmdbKeyedStateBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.dispose()));
});

function lmdb(writeBufferSize?: number) {
  return (options: KeyedStateBackendOptions = {}): KeyedBackend => {
    const directory = mkdtempSync(join(tmpdir(), "weir-lmdb-kinds-"));
    try {
      const backend = new LmdbKeyedStateBackend({ ...options, directory, writeBufferSize });
      opened.push(backend);
      return backend;
    } catch (error) {
      rmSync(directory, { recursive: true, force: true });
      throw error;
    }
  };
}

const BACKENDS: [string, (options?: KeyedStateBackendOptions) => KeyedBackend][] = [
  ["heap", (options) => new HeapKeyedStateBackend(options)],
  ["lmdb", lmdb()],
  ["lmdb, every write committed", lmdb(1)],
];

const average: AggregateFunction<number, { sum: number; n: number }, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  add: (value, acc) => ({ sum: acc.sum + value, n: acc.n + 1 }),
  getResult: (acc) => acc.sum / acc.n,
  merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
};

const setSerializer: StateSerializer<Set<string>> = { toSnapshot: (set) => [...set], fromSnapshot: (data) => new Set(data as string[]) };

describe.each(BACKENDS)("%s backend", (_, make) => {
  describe("descriptors with a serializer", () => {
    it("every kind gives back the values it was given, and snapshots hold their snapshot form", () => {
      const backend = make();
      const ttl = StateTtlConfig.newBuilder(60_000).build();
      const tags = backend.getState(new ValueStateDescriptor<Set<string>>("tags", undefined, { serializer: setSerializer }));
      const history = backend.getListState(new ListStateDescriptor<Set<string>>("history").withSerializer(setSerializer));
      const byDay = backend.getMapState(new MapStateDescriptor<number, Set<string>>("by-day").withSerializer(setSerializer));
      const union = backend.getReducingState(new ReducingStateDescriptor<Set<string>>("union", (a, b) => new Set([...a, ...b]), { serializer: setSerializer }));
      const recent = backend.getState(new ValueStateDescriptor<Set<string>>("recent", undefined, { serializer: setSerializer }).enableTimeToLive(ttl));
      backend.setCurrentKey("k");
      tags.update(new Set(["a", "b"]));
      history.add(new Set(["x"]));
      history.addAll([new Set(["y"])]);
      byDay.put(1, new Set(["mon"]));
      union.add(new Set(["p"]));
      union.add(new Set(["q"]));
      recent.update(new Set(["r"]));
      expect(tags.value()).toEqual(new Set(["a", "b"]));
      expect(history.get()).toEqual([new Set(["x"]), new Set(["y"])]);
      expect(byDay.get(1)).toEqual(new Set(["mon"]));
      expect(byDay.values()).toEqual([new Set(["mon"])]);
      expect(union.get()).toEqual(new Set(["p", "q"]));
      expect(recent.value()).toEqual(new Set(["r"]));
      const entries = Object.fromEntries(backend.snapshot().flatMap((g) => g.tables.map((t) => [t.name, t.entries[0][1]])));
      expect(entries).toMatchObject({ tags: ["a", "b"], history: [["x"], ["y"]], "by-day": [[1, ["mon"]]], union: ["p", "q"], recent: { value: ["r"] } });
    });

    it("a state registered with a serializer refuses a descriptor without one", () => {
      const backend = make();
      backend.getState(new ValueStateDescriptor<Set<string>>("tags", undefined, { serializer: setSerializer }));
      expect(() => backend.getState(new ValueStateDescriptor<Set<string>>("tags"))).toThrow('state "tags" was registered with a serializer; a descriptor without one cannot use it');
    });
  });

  describe("ListState", () => {
    it("keeps one list per key, in the order elements were added", () => {
      const backend = make();
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
      const backend = make();
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
      const backend = make();
      const list = backend.getListState(new ListStateDescriptor<number>("l"));
      backend.setCurrentKey("k");
      list.addAll([1, 2]);
      list.get().push(99);
      expect(list.get()).toEqual([1, 2]);
    });

    it("clear forgets the current key's list only", () => {
      const backend = make();
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
      const backend = make();
      const list = backend.getListState(new ListStateDescriptor<number | undefined>("l"));
      backend.setCurrentKey("k");
      expect(() => list.add(undefined)).toThrow("list state l: cannot add undefined");
      expect(() => list.addAll([1, undefined])).toThrow("cannot add undefined");
      expect(list.get()).toEqual([]);
    });
  });

  describe("ReducingState", () => {
    it("folds every added value with the reduce function, per key", () => {
      const backend = make();
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
      const backend = make();
      const concat = backend.getReducingState(new ReducingStateDescriptor<string>("concat", { reduce: (a: string, b: string) => `${a}+${b}` }));
      backend.setCurrentKey(1);
      concat.add("x");
      concat.add("y");
      expect(concat.get()).toBe("x+y");
    });
  });

  describe("AggregatingState", () => {
    it("adds inputs into an accumulator per key and returns the aggregate's result", () => {
      const backend = make();
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
      const backend = make();
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

    it("lists keys, values and entries, and putAll takes a Map or pairs", () => {
      const backend = make();
      const m = backend.getMapState(new MapStateDescriptor<string, number>("m"));
      backend.setCurrentKey("k");
      m.putAll(new Map([["x", 1], ["y", 2]]));
      m.putAll([["z", 3]]);
      // Insertion order on the heap, encoded-key order in LMDB: the same for these keys.
      expect(m.keys()).toEqual(["x", "y", "z"]);
      expect(m.values()).toEqual([1, 2, 3]);
      expect(m.entries()).toEqual([["x", 1], ["y", 2], ["z", 3]]);
    });

    it("compares user keys by value, objects included", () => {
      const backend = make();
      const m = backend.getMapState(new MapStateDescriptor<{ day: number; hour: number }, string>("slots"));
      backend.setCurrentKey("k");
      m.put({ day: 1, hour: 9 }, "standup");
      expect(m.get({ day: 1, hour: 9 })).toBe("standup");
      expect(m.contains({ day: 1, hour: 10 })).toBe(false);
      expect(m.keys()).toEqual([{ day: 1, hour: 9 }]);
    });

    it("removing the last entry or clearing leaves the key without state", () => {
      const backend = make();
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
      const backend = make();
      const m = backend.getMapState(new MapStateDescriptor<number, number>("m"));
      backend.setCurrentKey("k");
      for (let i = 0; i < 5; i++) m.put(i, i * i);
      for (const [key] of m.entries()) if (key % 2 === 0) m.remove(key);
      expect(m.keys()).toEqual([1, 3]);
    });

    it("one key's map does not see another key's entries, whatever the keys' encodings", () => {
      const backend = make();
      const m = backend.getMapState(new MapStateDescriptor<unknown, number>("m"));
      const keys: unknown[] = ["a", "ab", 1, 255, -1, "", { id: 1 }, [1, 2]];
      keys.forEach((key, i) => {
        backend.setCurrentKey(key);
        m.put(-1, i);
        m.put("z".repeat(40), i);
      });
      keys.forEach((key, i) => {
        backend.setCurrentKey(key);
        expect(m.entries().sort()).toEqual([[-1, i], ["z".repeat(40), i]].sort());
      });
      expect(backend.size("m")).toBe(keys.length);
    });
  });

  describe("the keyed state backend", () => {
    it("keeps a ValueState's API: default, update, clear", () => {
      const backend = make();
      const v = backend.getState(new ValueStateDescriptor("v", 0));
      backend.setCurrentKey("k");
      expect(v.value()).toBe(0);
      v.update(3);
      expect(v.value()).toBe(3);
      v.clear();
      expect(v.value()).toBe(0);
    });

    it("keeps values of every plain kind, and keys of every kind apart", () => {
      const backend = make();
      const v = backend.getState(new ValueStateDescriptor<unknown>("v"));
      const keys: unknown[] = ["k", "", "é-unicode-ключ", 0, 1, -7, 1.5, 2 ** 40, true, false, null, [1, "x"], { a: 1, b: [2] }];
      const values: unknown[] = [{ nested: { list: [1, 2, { x: "y" }] } }, null, "s", 0, -1.25, true, [null, 1], "x".repeat(5000)];
      keys.forEach((key, i) => {
        backend.setCurrentKey(key);
        v.update(values[i % values.length]);
      });
      keys.forEach((key, i) => {
        backend.setCurrentKey(key);
        expect(v.value()).toEqual(values[i % values.length]);
      });
      expect(backend.size("v")).toBe(keys.length);
    });

    it("an object key compares by its JSON text, as on the heap", () => {
      const backend = make();
      const v = backend.getState(new ValueStateDescriptor<number>("v"));
      backend.setCurrentKey({ id: 1, region: "eu" });
      v.update(5);
      backend.setCurrentKey({ id: 1, region: "eu" });
      expect(v.value()).toBe(5);
      expect(backend.currentNormalizedKey).toBe(`\u0000${JSON.stringify({ id: 1, region: "eu" })}`);
    });

    it("states of different names are apart, even when one name starts with the other", () => {
      const backend = make();
      const a = backend.getState(new ValueStateDescriptor<number>("a"));
      const ab = backend.getState(new ValueStateDescriptor<number>("ab"));
      backend.setCurrentKey("k");
      a.update(1);
      ab.update(2);
      expect([a.value(), ab.value()]).toEqual([1, 2]);
      a.clear();
      expect([a.value(), ab.value()]).toEqual([undefined, 2]);
      expect(backend.stateNames()).toEqual(["a", "ab"]);
    });

    it("refuses a name used for another kind of state", () => {
      const backend = make();
      backend.getState(new ValueStateDescriptor<number>("x"));
      expect(() => backend.getListState(new ListStateDescriptor<number>("x"))).toThrow('state "x" is value state; it cannot be used as list state');
    });

    it("refuses to turn TTL on or off for an existing state", () => {
      const backend = make();
      backend.getState(new ValueStateDescriptor<number>("x"));
      const ttl = StateTtlConfig.newBuilder(1000).build();
      expect(() => backend.getState(new ValueStateDescriptor<number>("x").enableTimeToLive(ttl))).toThrow("turning TTL on for existing state is not supported");
    });

    it("computes the current key's key group from the key, once per key", () => {
      const backend = make({ maxParallelism: 64 });
      for (const key of ["a", 17, [1, "x"], { id: 3 }]) {
        backend.setCurrentKey(key);
        expect(backend.currentKeyGroup).toBe(keyGroupOf(key, 64));
      }
    });

    it("refuses a key whose key group belongs to another subtask", () => {
      const range = keyGroupRangeFor(0, 2, 128);
      const backend = make({ maxParallelism: 128, keyGroupRange: range });
      let foreign = 0;
      while (keyGroupOf(foreign, 128) <= range.end) foreign++;
      expect(() => backend.setCurrentKey(foreign)).toThrow(`outside this subtask's key groups ${range.start}..${range.end}`);
    });

    it("refuses a key group range that does not fit maxParallelism", () => {
      expect(() => make({ maxParallelism: 8, keyGroupRange: { start: 4, end: 8 } })).toThrow("key group range 4..8 does not fit in maxParallelism 8");
    });

    it("applyToAllKeys visits every key with state, with that key current, and restores the key before", () => {
      const backend = make({ maxParallelism: 16 });
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

    it("applyToAllKeys visits each key of a map state once, and skips keys an earlier call cleared", () => {
      const backend = make({ maxParallelism: 4 });
      const m = backend.getMapState(new MapStateDescriptor<string, number>("m"));
      const keys = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }];
      for (const key of keys) {
        backend.setCurrentKey(key);
        m.putAll([["a", 1], ["b", 2]]);
      }
      const visited: unknown[] = [];
      backend.applyToAllKeys(new MapStateDescriptor<string, number>("m"), (key, state) => {
        visited.push(key);
        expect(state.keys()).toEqual(["a", "b"]);
        // The first key visited clears every other key.
        if (visited.length === 1) {
          for (const other of keys) {
            backend.setCurrentKey(other);
            if (JSON.stringify(other) !== JSON.stringify(key)) state.clear();
          }
          backend.setCurrentKey(key);
        }
      });
      expect(visited).toHaveLength(1);
      expect(backend.size("m")).toBe(1);
    });

    it("getStateFor hands out the handle of any descriptor kind", () => {
      const backend = make();
      backend.setCurrentKey("k");
      backend.getStateFor(new ListStateDescriptor<number>("l")).add(1);
      backend.getStateFor(new MapStateDescriptor<string, number>("m")).put("a", 1);
      backend.getStateFor(new AggregatingStateDescriptor("avg", average)).add(4);
      expect(backend.getListState(new ListStateDescriptor<number>("l")).get()).toEqual([1]);
      expect(backend.getMapState(new MapStateDescriptor<string, number>("m")).get("a")).toBe(1);
      expect(backend.getAggregatingState(new AggregatingStateDescriptor("avg", average)).get()).toBe(4);
    });
  });
});

describe("the LMDB backend's own behaviour", () => {
  it("map state lists entries in the byte order of their encoded user keys", () => {
    const backend = lmdb()();
    const m = backend.getMapState(new MapStateDescriptor<string, number>("m"));
    backend.setCurrentKey("k");
    for (const [key, value] of [["c", 3], ["a", 1], ["b", 2]] as const) m.put(key, value);
    expect(m.keys()).toEqual(["a", "b", "c"]);
  });

  it("a value read is a copy: a change is kept only once it is written back", () => {
    const backend = lmdb(1)();
    const v = backend.getState(new ValueStateDescriptor<{ n: number }>("v"));
    backend.setCurrentKey("k");
    v.update({ n: 1 });
    v.value()!.n = 2;
    expect(v.value()).toEqual({ n: 1 });
  });

  it("close releases the environment and dispose deletes its directory", async () => {
    const { existsSync } = await import("node:fs");
    const directory = mkdtempSync(join(tmpdir(), "weir-lmdb-close-"));
    const backend = new LmdbKeyedStateBackend({ directory });
    const v = backend.getState(new ValueStateDescriptor<number>("v"));
    backend.setCurrentKey("k");
    v.update(1);
    await backend.close();
    expect(() => backend.snapshot()).toThrow("is closed");
    expect(existsSync(directory)).toBe(true);
    await backend.dispose();
    expect(existsSync(directory)).toBe(false);
  });

  it("a new backend on an old directory starts empty: local state is not a durable copy", async () => {
    const directory = mkdtempSync(join(tmpdir(), "weir-lmdb-reopen-"));
    const first = new LmdbKeyedStateBackend({ directory, writeBufferSize: 1 });
    first.setCurrentKey("k");
    first.getState(new ValueStateDescriptor<number>("v")).update(1);
    await first.close();
    const second = new LmdbKeyedStateBackend({ directory });
    opened.push(second);
    second.setCurrentKey("k");
    expect(second.getState(new ValueStateDescriptor<number>("v")).value()).toBeUndefined();
    expect(second.snapshot()).toEqual([]);
  });

  it("refuses a state key larger than LMDB's key size", () => {
    const backend = lmdb()();
    const v = backend.getState(new ValueStateDescriptor<number>("v"));
    backend.setCurrentKey("k".repeat(3000));
    expect(() => v.value()).toThrow("longer than LMDB's 1978");
  });
});
