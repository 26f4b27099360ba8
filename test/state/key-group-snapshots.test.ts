// Keyed state and timers snapshotted per key group: a snapshot survives msgpack, restores into an
// equal state, and can be split among any number of subtasks. Rescaling 2 → 3 and 2 → 1 puts every
// key in exactly one subtask: the one its key group maps to, computed here from keyGroupOf alone.

import { pack, unpack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { keyGroupOf, keyGroupRangeFor } from "../../src/core/key-groups.ts";
import { SimulatedClock } from "../../src/core/clock.ts";
import {
  HeapKeyedStateBackend,
  type KeyedStateBackend,
  KeyedTimerService,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  keyGroupsInRange,
  splitKeyGroups,
  timersByKeyGroup,
  type KeyGroupStateSnapshot,
  type KeyGroupTimersSnapshot,
} from "../../src/state/index.ts";

const MAX_PARALLELISM = 128;
const COUNT = new ValueStateDescriptor<number>("count");
const SEEN = new ListStateDescriptor<string>("seen");
const TAGS = new MapStateDescriptor<string, number>("tags");
const SUM = new ReducingStateDescriptor<number>("sum", (a, b) => a + b);

/** The subtask a key belongs to at `parallelism`, from its key group (Flink's formula, written out here). */
function subtaskOf(key: unknown, parallelism: number): number {
  return Math.floor((keyGroupOf(key, MAX_PARALLELISM) * parallelism) / MAX_PARALLELISM);
}

const KEYS: unknown[] = [...Array.from({ length: 60 }, (_, i) => `user-${i}`), ...Array.from({ length: 30 }, (_, i) => i * 31), [1, "tuple"], { id: 9, region: "eu" }];

/** What each key's state is, computed from the key alone. */
function expectedFor(_key: unknown, i: number) {
  return { count: i + 1, seen: [`a${i}`, `b${i}`], tags: [["t", i]], sum: i * 10 + 5 };
}

/** The subtasks of a job at `parallelism`, each fed only its own keys. */
function populate(parallelism: number): KeyedStateBackend[] {
  const backends = Array.from({ length: parallelism }, (_, subtask) => new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM, keyGroupRange: keyGroupRangeFor(subtask, parallelism, MAX_PARALLELISM) }));
  KEYS.forEach((key, i) => {
    const backend = backends[subtaskOf(key, parallelism)];
    backend.setCurrentKey(key);
    backend.getState(COUNT).update(i + 1);
    backend.getListState(SEEN).addAll([`a${i}`, `b${i}`]);
    backend.getMapState(TAGS).put("t", i);
    backend.getReducingState(SUM).add(i * 10);
    backend.getReducingState(SUM).add(5);
  });
  return backends;
}

function read(backend: KeyedStateBackend, key: unknown) {
  backend.setCurrentKey(key);
  return {
    count: backend.getState(COUNT).value(),
    seen: backend.getListState(SEEN).get(),
    tags: backend.getMapState(TAGS).entries(),
    sum: backend.getReducingState(SUM).get(),
  };
}

/** Restores the old subtasks' snapshots (through msgpack) into `parallelism` new subtasks. */
function rescale(snapshots: KeyGroupStateSnapshot[][], parallelism: number): KeyedStateBackend[] {
  const all = unpack(pack(snapshots.flat())) as KeyGroupStateSnapshot[];
  return Array.from({ length: parallelism }, (_, subtask) => {
    const backend = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM, keyGroupRange: keyGroupRangeFor(subtask, parallelism, MAX_PARALLELISM) });
    backend.restore(all);
    return backend;
  });
}

/** Every (subtask, key) that holds state, from the snapshots: the keys as they were snapshotted. */
function keysPerSubtask(backends: KeyedStateBackend[]): Map<string, number[]> {
  const where = new Map<string, number[]>();
  backends.forEach((backend, subtask) => {
    for (const group of backend.snapshot()) {
      for (const [key] of group.tables.find((t) => t.name === "count")!.entries) {
        const id = JSON.stringify(key);
        where.set(id, [...(where.get(id) ?? []), subtask]);
      }
    }
  });
  return where;
}

describe("keyed state snapshots per key group", () => {
  it("a snapshot lists each key under its own key group, keys as their original values", () => {
    const [backend] = populate(1);
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

  it("a snapshot is plain data that survives msgpack and restores into an equal state", () => {
    const [backend] = populate(1);
    const [restored] = rescale([backend.snapshot()], 1);
    KEYS.forEach((key, i) => expect(read(restored, key)).toEqual(expectedFor(key, i)));
    expect(restored.snapshot()).toEqual(unpack(pack(backend.snapshot())));
  });

  it("a snapshot leaves out key groups without state and states without keys", () => {
    const backend = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM });
    backend.getListState(SEEN);
    backend.setCurrentKey("only");
    backend.getState(COUNT).update(1);
    backend.getMapState(TAGS).put("x", 1);
    backend.getMapState(TAGS).remove("x");
    expect(backend.snapshot()).toEqual([{ keyGroup: keyGroupOf("only", MAX_PARALLELISM), tables: [{ name: "count", kind: "value", ttl: false, entries: [["only", 1]] }] }]);
  });

  it.each([3, 1])("rescaling from 2 to %i subtasks puts every key in exactly the subtask its key group maps to", (parallelism) => {
    const old = populate(2);
    const rescaled = rescale(
      old.map((b) => b.snapshot()),
      parallelism,
    );
    const where = keysPerSubtask(rescaled);
    expect(where.size).toBe(KEYS.length);
    KEYS.forEach((key, i) => {
      expect(where.get(JSON.stringify(key))).toEqual([subtaskOf(key, parallelism)]);
      expect(read(rescaled[subtaskOf(key, parallelism)], key)).toEqual(expectedFor(key, i));
    });
  });

  it("rescaling 2 → 3 → 1 keeps every key's state", () => {
    const three = rescale(
      populate(2).map((b) => b.snapshot()),
      3,
    );
    const [one] = rescale(
      three.map((b) => b.snapshot()),
      1,
    );
    KEYS.forEach((key, i) => expect(read(one, key)).toEqual(expectedFor(key, i)));
  });

  it("restore ignores key groups outside the subtask's range", () => {
    const [full] = populate(1);
    const range = keyGroupRangeFor(1, 4, MAX_PARALLELISM);
    const part = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM, keyGroupRange: range });
    part.restore(full.snapshot());
    const expected = KEYS.filter((key) => subtaskOf(key, 4) === 1).length;
    expect(part.size("count")).toBe(expected);
    expect(part.snapshot().every((g) => g.keyGroup >= range.start && g.keyGroup <= range.end)).toBe(true);
  });

  it("restore refuses a state whose kind differs from the one already registered", () => {
    const [full] = populate(1);
    const backend = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM });
    backend.getListState(new ListStateDescriptor<number>("count"));
    expect(() => backend.restore(full.snapshot())).toThrow('state "count" is list state; it cannot be used as value state');
  });

  it("a restored state must be requested with its kind", () => {
    const [full] = populate(1);
    const backend = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM });
    backend.restore(full.snapshot());
    expect(() => backend.getMapState(new MapStateDescriptor<string, number>("seen"))).toThrow('state "seen" is list state; it cannot be used as map state');
  });
});

describe("selecting key groups", () => {
  const group = (keyGroup: number) => ({ keyGroup, tables: [] });

  it("keyGroupsInRange keeps the range's key groups, in order", () => {
    expect(keyGroupsInRange([group(9), group(2), group(5), group(12)], { start: 2, end: 9 }).map((g) => g.keyGroup)).toEqual([2, 5, 9]);
  });

  it("a key group present in two snapshots is refused", () => {
    expect(() => keyGroupsInRange([group(3), group(3)], { start: 0, end: 10 })).toThrow("key group 3 appears in more than one snapshot");
  });

  it("splitKeyGroups gives each new subtask exactly its range", () => {
    const all = Array.from({ length: 128 }, (_, kg) => group(kg));
    const parts = splitKeyGroups(all, 3, 128);
    expect(parts.map((p) => p.length).reduce((a, b) => a + b)).toBe(128);
    parts.forEach((part, subtask) => {
      const range = keyGroupRangeFor(subtask, 3, 128);
      expect(part.map((g) => g.keyGroup)).toEqual(Array.from({ length: range.end - range.start + 1 }, (_, i) => range.start + i));
    });
  });
});

describe("timer snapshots per key group", () => {
  function timerService(clock = new SimulatedClock(0)) {
    return new KeyedTimerService(clock, () => undefined, () => undefined);
  }

  it("timers are grouped by the key group of their key", () => {
    const timers = timerService();
    KEYS.forEach((key, i) => {
      timers.register(key, 1_000 + i);
      timers.registerEventTime(key, 2_000 + i);
    });
    const groups = timers.snapshotKeyGroups(MAX_PARALLELISM);
    for (const group of groups) {
      for (const timer of [...group.processing, ...group.event]) expect(keyGroupOf(timer.key, MAX_PARALLELISM)).toBe(group.keyGroup);
    }
    expect(groups.flatMap((g) => g.processing)).toHaveLength(KEYS.length);
    expect(groups.flatMap((g) => g.event)).toHaveLength(KEYS.length);
    timers.stop();
  });

  it("rescaling timers from 2 to 3 subtasks gives each timer to exactly the subtask of its key", () => {
    const old = [timerService(), timerService()];
    KEYS.forEach((key, i) => {
      old[subtaskOf(key, 2)].register(key, 1_000 + i);
      old[subtaskOf(key, 2)].registerEventTime(key, 5_000 + i);
    });
    const snapshots = unpack(pack(old.flatMap((t) => t.snapshotKeyGroups(MAX_PARALLELISM)))) as KeyGroupTimersSnapshot[];
    const rescaled = [0, 1, 2].map((subtask) => {
      const timers = timerService();
      timers.restoreKeyGroups(snapshots, keyGroupRangeFor(subtask, 3, MAX_PARALLELISM));
      return timers;
    });
    const owners = new Map<string, number[]>();
    rescaled.forEach((timers, subtask) => {
      const snapshot = timers.snapshot();
      expect(snapshot.processing.map((t) => t.timestamp)).toEqual([...snapshot.processing.map((t) => t.timestamp)].sort((a, b) => a - b));
      for (const timer of [...snapshot.processing, ...snapshot.event]) {
        const id = `${JSON.stringify(timer.key)}@${timer.timestamp}`;
        owners.set(id, [...(owners.get(id) ?? []), subtask]);
      }
    });
    expect(owners.size).toBe(2 * KEYS.length);
    KEYS.forEach((key, i) => {
      expect(owners.get(`${JSON.stringify(key)}@${1_000 + i}`)).toEqual([subtaskOf(key, 3)]);
      expect(owners.get(`${JSON.stringify(key)}@${5_000 + i}`)).toEqual([subtaskOf(key, 3)]);
    });
    for (const timers of [...old, ...rescaled]) timers.stop();
  });

  it("timersByKeyGroup is pure: it reads a snapshot and returns key-group snapshots", () => {
    const snapshot = { processing: [{ key: "a", timestamp: 5 }], event: [{ key: "a", timestamp: 7 }, { key: 3, timestamp: 1 }] };
    const groups = timersByKeyGroup(snapshot, 16);
    expect(groups.flatMap((g) => g.event).map((t) => t.timestamp).sort()).toEqual([1, 7]);
    expect(snapshot.event).toHaveLength(2);
  });
});
