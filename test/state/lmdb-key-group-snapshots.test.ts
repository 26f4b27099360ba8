// Full keyed-state snapshots of the LMDB backend: the heap backend's per-key-group format, so a
// snapshot of either backend restores into the other (savepoints are backend-independent), and
// rescaling 2 → 3 → 1 through snapshots keeps every key's state in the subtask its key group maps to,
// whichever backend each step runs on.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack, unpack } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import { keyGroupOf, keyGroupRangeFor } from "../../src/core/key-groups.ts";
import {
  HeapKeyedStateBackend,
  type KeyedStateBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type KeyedStateBackendOptions,
  type KeyGroupStateSnapshot,
  type StateSerializer,
} from "../../src/state/index.ts";
import { LmdbKeyedStateBackend } from "../../src/state/lmdb/index.ts";

type KeyedBackend = KeyedStateBackend;
type Make = (options?: KeyedStateBackendOptions) => KeyedBackend;

const opened: LmdbKeyedStateBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.dispose()));
});

const heap: Make = (options) => new HeapKeyedStateBackend(options);
const lmdb: Make = (options = {}) => {
  const backend = new LmdbKeyedStateBackend({ ...options, directory: mkdtempSync(join(tmpdir(), "weir-lmdb-snap-")) });
  opened.push(backend);
  return backend;
};

const MAX_PARALLELISM = 128;
const COUNT = new ValueStateDescriptor<number>("count");
const SEEN = new ListStateDescriptor<string>("seen");
const TAGS = new MapStateDescriptor<string, number>("tags");
const SUM = new ReducingStateDescriptor<number>("sum", (a, b) => a + b);

function subtaskOf(key: unknown, parallelism: number): number {
  return Math.floor((keyGroupOf(key, MAX_PARALLELISM) * parallelism) / MAX_PARALLELISM);
}

const KEYS: unknown[] = [...Array.from({ length: 60 }, (_, i) => `user-${i}`), ...Array.from({ length: 30 }, (_, i) => i * 31), [1, "tuple"], { id: 9, region: "eu" }];

function expectedFor(_key: unknown, i: number) {
  return { count: i + 1, seen: [`a${i}`, `b${i}`], tags: [["t", i], ["u", 100 - i]], sum: i * 10 + 5 };
}

function populate(make: Make, parallelism: number): KeyedBackend[] {
  const backends = Array.from({ length: parallelism }, (_, subtask) => make({ maxParallelism: MAX_PARALLELISM, keyGroupRange: keyGroupRangeFor(subtask, parallelism, MAX_PARALLELISM) }));
  KEYS.forEach((key, i) => {
    const backend = backends[subtaskOf(key, parallelism)];
    backend.setCurrentKey(key);
    backend.getState(COUNT).update(i + 1);
    backend.getListState(SEEN).addAll([`a${i}`, `b${i}`]);
    backend.getMapState(TAGS).putAll([["t", i], ["u", 100 - i]]);
    backend.getReducingState(SUM).add(i * 10);
    backend.getReducingState(SUM).add(5);
  });
  return backends;
}

function read(backend: KeyedBackend, key: unknown) {
  backend.setCurrentKey(key);
  return {
    count: backend.getState(COUNT).value(),
    seen: backend.getListState(SEEN).get(),
    tags: backend.getMapState(TAGS).entries(),
    sum: backend.getReducingState(SUM).get(),
  };
}

/** Restores the old subtasks' snapshots (through msgpack) into `parallelism` new subtasks. */
function rescale(make: Make, snapshots: KeyGroupStateSnapshot[][], parallelism: number): KeyedBackend[] {
  const all = unpack(pack(snapshots.flat())) as KeyGroupStateSnapshot[];
  return Array.from({ length: parallelism }, (_, subtask) => {
    const backend = make({ maxParallelism: MAX_PARALLELISM, keyGroupRange: keyGroupRangeFor(subtask, parallelism, MAX_PARALLELISM) });
    backend.restore(all);
    return backend;
  });
}

/** A snapshot with its tables, entries and map pairs in a canonical order: the backends may list them differently. */
function canonical(snapshot: KeyGroupStateSnapshot[]): KeyGroupStateSnapshot[] {
  const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
  return snapshot.map((group) => ({
    keyGroup: group.keyGroup,
    tables: group.tables
      .map((t) => ({ ...t, entries: t.entries.map(([key, value]): [unknown, unknown] => [key, t.kind === "map" ? [...(value as unknown[])].sort(byJson) : value]).sort(byJson) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

describe("LMDB keyed state snapshots per key group", () => {
  it("an LMDB snapshot holds what a heap snapshot of the same state holds", () => {
    const [fromHeap] = populate(heap, 1);
    const [fromLmdb] = populate(lmdb, 1);
    expect(canonical(fromLmdb.snapshot())).toEqual(canonical(fromHeap.snapshot()));
  });

  it("a snapshot lists each key under its own key group, keys as their original values", () => {
    const [backend] = populate(lmdb, 1);
    const snapshot = backend.snapshot();
    expect(snapshot.map((g) => g.keyGroup)).toEqual([...new Set(KEYS.map((k) => keyGroupOf(k, MAX_PARALLELISM)))].sort((a, b) => a - b));
    for (const group of snapshot) {
      for (const table of group.tables) for (const [key] of table.entries) expect(keyGroupOf(key, MAX_PARALLELISM)).toBe(group.keyGroup);
    }
    const keys = snapshot.flatMap((g) => g.tables.find((t) => t.name === "count")!.entries.map(([key]) => key));
    expect(keys).toHaveLength(KEYS.length);
    expect(keys).toContainEqual({ id: 9, region: "eu" });
    expect(keys).toContainEqual([1, "tuple"]);
  });

  it("a snapshot leaves out key groups without state and states without keys, and lists states in registration order", () => {
    const backend = lmdb({ maxParallelism: MAX_PARALLELISM });
    backend.getListState(SEEN);
    backend.setCurrentKey("only");
    backend.getState(new ValueStateDescriptor<number>("z-first")).update(0);
    backend.getState(COUNT).update(1);
    backend.getMapState(TAGS).put("x", 1);
    backend.getMapState(TAGS).remove("x");
    expect(backend.snapshot()).toEqual([
      {
        keyGroup: keyGroupOf("only", MAX_PARALLELISM),
        tables: [
          { name: "z-first", kind: "value", ttl: false, entries: [["only", 0]] },
          { name: "count", kind: "value", ttl: false, entries: [["only", 1]] },
        ],
      },
    ]);
  });

  it.each([
    ["heap", "lmdb", heap, lmdb],
    ["lmdb", "heap", lmdb, heap],
    ["lmdb", "lmdb", lmdb, lmdb],
  ] as const)("a %s snapshot restores into an equal %s state", (_, __, from, to) => {
    const [source] = populate(from, 1);
    const [restored] = rescale(to, [source.snapshot()], 1);
    KEYS.forEach((key, i) => expect(read(restored, key)).toEqual(expectedFor(key, i)));
    expect(canonical(restored.snapshot())).toEqual(canonical(unpack(pack(source.snapshot())) as KeyGroupStateSnapshot[]));
  });

  it.each([
    ["lmdb → lmdb → lmdb", lmdb, lmdb, lmdb],
    ["heap → lmdb → heap", heap, lmdb, heap],
    ["lmdb → heap → lmdb", lmdb, heap, lmdb],
  ] as const)("rescaling 2 → 3 → 1 keeps every key's state, in the subtask its key group maps to (%s)", (_, two, three, one) => {
    const threeSubtasks = rescale(
      three,
      populate(two, 2).map((b) => b.snapshot()),
      3,
    );
    KEYS.forEach((key, i) => expect(read(threeSubtasks[subtaskOf(key, 3)], key)).toEqual(expectedFor(key, i)));
    threeSubtasks.forEach((backend, subtask) => {
      const owned = KEYS.filter((key) => subtaskOf(key, 3) === subtask).length;
      expect(backend.size("count")).toBe(owned);
      expect(backend.size("tags")).toBe(owned);
    });
    const [single] = rescale(
      one,
      threeSubtasks.map((b) => b.snapshot()),
      1,
    );
    KEYS.forEach((key, i) => expect(read(single, key)).toEqual(expectedFor(key, i)));
  });

  it("restore ignores key groups outside the subtask's range", () => {
    const [full] = populate(heap, 1);
    const range = keyGroupRangeFor(1, 4, MAX_PARALLELISM);
    const part = lmdb({ maxParallelism: MAX_PARALLELISM, keyGroupRange: range });
    part.restore(full.snapshot());
    expect(part.size("count")).toBe(KEYS.filter((key) => subtaskOf(key, 4) === 1).length);
    expect(part.snapshot().every((g) => g.keyGroup >= range.start && g.keyGroup <= range.end)).toBe(true);
  });

  it("a restored map replaces the key's map, as on the heap", () => {
    const backend = lmdb({ maxParallelism: MAX_PARALLELISM });
    backend.setCurrentKey("k");
    backend.getMapState(TAGS).putAll([["old", 1], ["kept", 2]]);
    const keyGroup = keyGroupOf("k", MAX_PARALLELISM);
    backend.restore([{ keyGroup, tables: [{ name: "tags", kind: "map", ttl: false, entries: [["k", [["kept", 3], ["new", 4]]]] }] }]);
    expect(backend.getMapState(TAGS).entries().sort()).toEqual([["kept", 3], ["new", 4]]);
  });

  it("restore refuses a state whose kind differs from the one already registered", () => {
    const [full] = populate(heap, 1);
    const backend = lmdb({ maxParallelism: MAX_PARALLELISM });
    backend.getListState(new ListStateDescriptor<number>("count"));
    expect(() => backend.restore(full.snapshot())).toThrow('state "count" is list state; it cannot be used as value state');
  });

  it("a restored state must be requested with its kind", () => {
    const [full] = populate(heap, 1);
    const backend = lmdb({ maxParallelism: MAX_PARALLELISM });
    backend.restore(full.snapshot());
    expect(backend.stateNames().sort()).toEqual(["count", "seen", "sum", "tags"]);
    expect(() => backend.getMapState(new MapStateDescriptor<string, number>("seen"))).toThrow('state "seen" is list state; it cannot be used as map state');
  });

  it("restore refuses malformed snapshots with the heap backend's messages", () => {
    const backend = lmdb({ maxParallelism: MAX_PARALLELISM });
    const group = (tables: unknown) => [{ keyGroup: 0, tables }] as unknown as KeyGroupStateSnapshot[];
    expect(() => backend.restore(group([{ name: "x", kind: "bogus", ttl: false, entries: [] }]))).toThrow("unknown state kind bogus");
    expect(() => backend.restore(group([{ name: "l", kind: "list", ttl: false, entries: [["k", 1]] }]))).toThrow("list state l: a value must be an array");
    expect(() => backend.restore(group([{ name: "v", kind: "value", ttl: false, entries: [["k"]] }]))).toThrow("an entry must be a [key, value] pair");
  });

  it.each([
    ["heap", "lmdb", heap, lmdb],
    ["lmdb", "heap", lmdb, heap],
  ] as const)("values with a serializer go from %s to %s in their snapshot form and come back whole", (_, __, from, to) => {
    const sets: StateSerializer<Set<number>> = { toSnapshot: (set) => [...set], fromSnapshot: (data) => new Set(data as number[]) };
    const descriptor = () => new MapStateDescriptor<string, Set<number>>("sets").withSerializer(sets);
    const source = from({ maxParallelism: MAX_PARALLELISM });
    KEYS.forEach((key, i) => {
      source.setCurrentKey(key);
      source.getMapState(descriptor()).put("s", new Set([i, i + 1]));
    });
    const snapshot = unpack(pack(source.snapshot())) as KeyGroupStateSnapshot[];
    const target = to({ maxParallelism: MAX_PARALLELISM });
    target.restore(snapshot);
    const restored = target.getMapState(descriptor());
    KEYS.forEach((key, i) => {
      target.setCurrentKey(key);
      expect(restored.get("s")).toEqual(new Set([i, i + 1]));
    });
    expect(canonical(target.snapshot())).toEqual(canonical(snapshot));
  });
});
