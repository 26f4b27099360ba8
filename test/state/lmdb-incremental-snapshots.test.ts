// Incremental snapshots of the LMDB backend: a delta holds exactly the keys written or removed
// since the last confirmed checkpoint (an unconfirmed snapshot's changes fold into the next one), a
// chain of deltas materialises to what a full snapshot holds, restores into either backend, and
// survives rescaling because deltas apply per key group.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack, unpack } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import { keyGroupOf, keyGroupRangeFor, type KeyGroupRange } from "../../src/core/key-groups.ts";
import {
  HeapKeyedStateBackend,
  type KeyedStateBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
  type KeyGroupStateSnapshot,
} from "../../src/state/index.ts";
import { CheckpointChangeLog, LmdbKeyedStateBackend, applyIncrementalChain, changedKeys, type IncrementalSnapshot } from "../../src/state/lmdb/index.ts";

const MAX_PARALLELISM = 32;
const COUNT = new ValueStateDescriptor<number>("count");
const SEEN = new ListStateDescriptor<string>("seen");
const TAGS = new MapStateDescriptor<string, number>("tags");
const SUM = new ReducingStateDescriptor<number>("sum", (a, b) => a + b);

const opened: LmdbKeyedStateBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.dispose()));
});

function lmdb(options: { keyGroupRange?: KeyGroupRange; clock?: SimulatedClock; writeBufferSize?: number } = {}): LmdbKeyedStateBackend {
  const backend = new LmdbKeyedStateBackend({ maxParallelism: MAX_PARALLELISM, ...options, directory: mkdtempSync(join(tmpdir(), "weir-lmdb-incr-")) });
  opened.push(backend);
  return backend;
}

const KEYS = Array.from({ length: 200 }, (_, i) => `user-${i}`);

/** Each key's state, computed from the key alone (so any subtask can be fed any subset). */
function populate(backend: LmdbKeyedStateBackend | KeyedStateBackend, keys: readonly string[]): void {
  keys.forEach((key) => {
    const i = KEYS.indexOf(key);
    backend.setCurrentKey(key);
    backend.getState(COUNT).update(i);
    backend.getListState(SEEN).add(`a${i}`);
    backend.getMapState(TAGS).putAll([["t", i], ["u", i + 1]]);
    backend.getReducingState(SUM).add(i);
  });
}

/** Tables, entries and map pairs in a canonical order: snapshots and materialised chains may list them differently. */
function canonical(snapshot: KeyGroupStateSnapshot[]): KeyGroupStateSnapshot[] {
  const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
  return snapshot.map((group) => ({
    keyGroup: group.keyGroup,
    tables: group.tables
      .map((t) => ({ ...t, entries: t.entries.map(([key, value]): [unknown, unknown] => [key, t.kind === "map" ? [...(value as unknown[])].sort(byJson) : value]).sort(byJson) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

/** Every (state, key) a delta wrote and deleted, as sorted strings. */
function changes(delta: IncrementalSnapshot) {
  const written = changedKeys(delta).flatMap((c) => c.written.map((key) => `${c.name}:${JSON.stringify(key)}`));
  const deleted = changedKeys(delta).flatMap((c) => c.deleted.map((key) => `${c.name}:${JSON.stringify(key)}`));
  return { written: written.sort(), deleted: deleted.sort() };
}

/** Through msgpack, as a checkpoint store would keep it. */
const stored = <T>(value: T): T => unpack(pack(value)) as T;

describe("the change log, as traces", () => {
  type Step = { write: string } | { snapshot: number; full?: boolean } | { confirm: number };

  /** Runs a trace; each snapshot yields "full" or "since <base>: <keys>", each confirm its outcome. */
  function run(trace: Step[]): string[] {
    const log = new CheckpointChangeLog();
    const out: string[] = [];
    for (const step of trace) {
      if ("write" in step) log.record(step.write);
      else if ("confirm" in step) out.push(`${step.confirm} ${log.confirm(step.confirm)}`);
      else {
        const scope = log.seal(step.snapshot, step.full);
        out.push(scope.kind === "full" ? `${step.snapshot} full` : `${step.snapshot} since ${scope.baseCheckpointId}: ${[...scope.changed].sort().join(",")}`);
      }
    }
    return out;
  }

  it("the first delta is full; after it is confirmed, a delta holds the keys changed since", () => {
    expect(run([{ write: "a" }, { snapshot: 1 }, { write: "b" }, { confirm: 1 }, { write: "c" }, { snapshot: 2 }])).toEqual(["1 full", "1 confirmed", "2 since 1: b,c"]);
  });

  it("a snapshot never confirmed folds into the next delta (1, -2, 3)", () => {
    expect(run([{ snapshot: 1 }, { confirm: 1 }, { write: "a" }, { snapshot: 2 }, { write: "b" }, { snapshot: 3 }, { confirm: 3 }, { write: "c" }, { snapshot: 4 }])).toEqual([
      "1 full",
      "1 confirmed",
      "2 since 1: a",
      "3 since 1: a,b",
      "3 confirmed",
      "4 since 3: c",
    ]);
  });

  it("while no full snapshot is confirmed, every delta is full; a late confirmation of an older one is subsumed", () => {
    expect(run([{ write: "a" }, { snapshot: 1 }, { write: "b" }, { snapshot: 2 }, { confirm: 2 }, { confirm: 1 }, { write: "c" }, { snapshot: 3 }])).toEqual([
      "1 full",
      "2 full",
      "2 confirmed",
      "1 subsumed",
      "3 since 2: c",
    ]);
  });

  it("a confirmation of an older unconfirmed snapshot keeps the changes after it", () => {
    expect(run([{ snapshot: 1 }, { confirm: 1 }, { write: "a" }, { snapshot: 2 }, { write: "b" }, { snapshot: 3 }, { confirm: 2 }, { write: "c" }, { snapshot: 4 }])).toEqual([
      "1 full",
      "1 confirmed",
      "2 since 1: a",
      "3 since 1: a,b",
      "2 confirmed",
      "4 since 2: b,c",
    ]);
  });

  it("a forced full snapshot, and confirmations of unknown checkpoints", () => {
    expect(run([{ snapshot: 1 }, { confirm: 1 }, { write: "a" }, { snapshot: 2, full: true }, { confirm: 7 }, { confirm: 2 }, { snapshot: 3 }])).toEqual([
      "1 full",
      "1 confirmed",
      "2 full",
      "7 unknown",
      "2 confirmed",
      "3 since 2: ",
    ]);
  });

  it("checkpoint ids must increase", () => {
    const log = new CheckpointChangeLog();
    log.seal(5);
    expect(() => log.seal(5)).toThrow("incremental snapshot 5 must come after snapshot 5");
  });
});

describe("incremental snapshots of the LMDB backend", () => {
  it("checkpoint 1 holds every key; after changing k keys, checkpoint 2 holds exactly those, writes and deletes", () => {
    const backend = lmdb();
    populate(backend, KEYS);
    const first = backend.snapshotIncremental(1);
    expect(first.baseCheckpointId).toBeNull();
    expect(changes(first).written.filter((c) => c.startsWith("count:"))).toHaveLength(KEYS.length);
    expect(backend.notifyCheckpointComplete(1)).toBe("confirmed");

    backend.setCurrentKey("user-3");
    backend.getState(COUNT).update(-3);
    backend.setCurrentKey("user-4");
    backend.getListState(SEEN).clear();
    backend.setCurrentKey("user-5");
    backend.getMapState(TAGS).put("t", 50);
    backend.getMapState(TAGS).remove("u");
    backend.setCurrentKey("user-6");
    backend.getReducingState(SUM).add(1);
    backend.setCurrentKey("new-key");
    backend.getState(COUNT).update(1);
    const second = stored(backend.snapshotIncremental(2));
    expect(second).toMatchObject({ version: 1, checkpointId: 2, baseCheckpointId: 1 });
    expect(changes(second)).toEqual({
      written: ['count:"new-key"', 'count:"user-3"', 'sum:"user-6"', 'tags:["user-5","t"]'],
      deleted: ['seen:"user-4"', 'tags:["user-5","u"]'],
    });
    expect(canonical(applyIncrementalChain(undefined, [stored(first), second]))).toEqual(canonical(backend.snapshot()));
  });

  it("a delta puts each change under its key's key group", () => {
    const backend = lmdb();
    populate(backend, KEYS);
    backend.snapshotIncremental(1);
    backend.notifyCheckpointComplete(1);
    for (const key of KEYS.slice(0, 20)) {
      backend.setCurrentKey(key);
      backend.getState(COUNT).update(0);
    }
    const delta = backend.snapshotIncremental(2);
    for (const group of delta.groups) for (const table of group.tables) for (const [key] of table.puts) expect(keyGroupOf(key, MAX_PARALLELISM)).toBe(group.keyGroup);
    expect(delta.groups.map((g) => g.keyGroup)).toEqual([...delta.groups.map((g) => g.keyGroup)].sort((a, b) => a - b));
  });

  it("an unconfirmed snapshot's changes fold into the next delta, and the chain skips it", () => {
    const backend = lmdb({ writeBufferSize: 7 });
    populate(backend, KEYS);
    const first = backend.snapshotIncremental(1);
    backend.notifyCheckpointComplete(1);
    backend.setCurrentKey("user-1");
    backend.getState(COUNT).update(100);
    const aborted = backend.snapshotIncremental(2);
    expect(changes(aborted).written).toEqual(['count:"user-1"']);
    backend.setCurrentKey("user-2");
    backend.getState(COUNT).clear();
    const third = backend.snapshotIncremental(3);
    expect(third.baseCheckpointId).toBe(1);
    expect(changes(third)).toEqual({ written: ['count:"user-1"'], deleted: ['count:"user-2"'] });
    expect(backend.notifyCheckpointComplete(3)).toBe("confirmed");
    expect(backend.notifyCheckpointComplete(2)).toBe("subsumed");
    expect(canonical(applyIncrementalChain(undefined, [first, third]))).toEqual(canonical(backend.snapshot()));
    backend.setCurrentKey("user-9");
    backend.getState(COUNT).update(9);
    expect(changes(backend.snapshotIncremental(4))).toEqual({ written: ['count:"user-9"'], deleted: [] });
  });

  it("a chain restores into the heap backend and into the LMDB backend, which continues it", () => {
    const source = lmdb();
    populate(source, KEYS);
    const chain = [source.snapshotIncremental(1)];
    source.notifyCheckpointComplete(1);
    source.setCurrentKey("user-0");
    source.getMapState(TAGS).clear();
    chain.push(source.snapshotIncremental(2));
    source.notifyCheckpointComplete(2);
    const expected = canonical(source.snapshot());

    const heap = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM });
    heap.restore(applyIncrementalChain(undefined, stored(chain)));
    expect(canonical(heap.snapshot())).toEqual(expected);

    const restored = lmdb();
    restored.restoreFromChain(undefined, stored(chain));
    expect(canonical(restored.snapshot())).toEqual(expected);
    restored.setCurrentKey("user-7");
    restored.getState(COUNT).update(70);
    const next = restored.snapshotIncremental(3);
    expect(next.baseCheckpointId).toBe(2);
    expect(changes(next).written).toEqual(['count:"user-7"']);
    expect(canonical(applyIncrementalChain(undefined, [...chain, next]))).toEqual(canonical(restored.snapshot()));
  });

  it("after a restore from a full snapshot the next delta is full", () => {
    const heap = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM });
    populate(heap, KEYS.slice(0, 10));
    const backend = lmdb();
    backend.restore(heap.snapshot());
    const delta = backend.snapshotIncremental(1);
    expect(delta.baseCheckpointId).toBeNull();
    expect(canonical(applyIncrementalChain(undefined, [delta]))).toEqual(canonical(heap.snapshot()));
  });

  it("a full snapshot plus deltas materialises like a chain starting with a full delta", () => {
    const backend = lmdb();
    populate(backend, KEYS.slice(0, 30));
    backend.snapshotIncremental(1);
    backend.notifyCheckpointComplete(1);
    const base = backend.snapshot();
    backend.setCurrentKey("user-2");
    backend.getListState(SEEN).add("more");
    const delta = backend.snapshotIncremental(2);
    expect(canonical(applyIncrementalChain(base, [delta]))).toEqual(canonical(backend.snapshot()));
  });

  it("a full delta replaces its key groups: keys removed since the chain's start are gone", () => {
    const backend = lmdb();
    populate(backend, KEYS.slice(0, 30));
    const first = backend.snapshotIncremental(1);
    backend.notifyCheckpointComplete(1);
    backend.setCurrentKey("user-1");
    for (const clear of [backend.getState(COUNT), backend.getListState(SEEN), backend.getMapState(TAGS), backend.getReducingState(SUM)]) clear.clear();
    const compacted = backend.snapshotIncremental(2, { full: true });
    expect(compacted.baseCheckpointId).toBeNull();
    const materialised = applyIncrementalChain(undefined, [first, compacted]);
    expect(canonical(materialised)).toEqual(canonical(backend.snapshot()));
    expect(JSON.stringify(materialised)).not.toContain('"user-1"');
  });

  it("with cleanupFullSnapshot, a changed value that has expired is a delete in the delta", () => {
    const clock = new SimulatedClock(0);
    const config = StateTtlConfig.newBuilder(1_000).cleanupFullSnapshot().build();
    const backend = lmdb({ clock });
    const v = backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
    const m = backend.getMapState(new MapStateDescriptor<string, number>("m").enableTimeToLive(config));
    backend.setCurrentKey("k");
    v.update(1);
    backend.snapshotIncremental(1);
    backend.notifyCheckpointComplete(1);
    v.update(2);
    m.put("x", 1);
    clock.advanceTo(1_500);
    expect(changes(backend.snapshotIncremental(2))).toEqual({ written: [], deleted: ['m:["k","x"]', 'v:"k"'] });
  });

  it("chains rescale: 2 subtasks' chains restore into 3 subtasks, whose chains continue into 1", () => {
    const ranges = (parallelism: number) => Array.from({ length: parallelism }, (_, s) => keyGroupRangeFor(s, parallelism, MAX_PARALLELISM));
    const owner = (key: string, parallelism: number) => Math.floor((keyGroupOf(key, MAX_PARALLELISM) * parallelism) / MAX_PARALLELISM);
    const deltas: IncrementalSnapshot[] = [];

    const two = ranges(2).map((keyGroupRange) => lmdb({ keyGroupRange }));
    two.forEach((backend, s) => populate(backend, KEYS.filter((key) => owner(key, 2) === s)));
    for (const [id, backend] of [[1, two[0]], [1, two[1]]] as const) deltas.push(backend.snapshotIncremental(id));
    two.forEach((backend) => backend.notifyCheckpointComplete(1));
    for (const key of ["user-1", "user-2", "user-3"]) {
      const backend = two[owner(key, 2)];
      backend.setCurrentKey(key);
      backend.getState(COUNT).update(-1);
    }
    deltas.push(...two.map((backend) => backend.snapshotIncremental(2)));

    const three = ranges(3).map((keyGroupRange) => lmdb({ keyGroupRange }));
    three.forEach((backend) => backend.restoreFromChain(undefined, stored(deltas)));
    for (const key of ["user-4", "user-5"]) {
      const backend = three[owner(key, 3)];
      backend.setCurrentKey(key);
      backend.getMapState(TAGS).remove("t");
    }
    const next = three.map((backend) => backend.snapshotIncremental(3));
    expect(next.every((d) => d.baseCheckpointId === 2)).toBe(true);
    deltas.push(...next);

    const [one] = [lmdb()];
    one.restoreFromChain(undefined, stored(deltas));
    const expected = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM });
    populate(expected, KEYS);
    for (const key of ["user-1", "user-2", "user-3"]) {
      expected.setCurrentKey(key);
      expected.getState(COUNT).update(-1);
    }
    for (const key of ["user-4", "user-5"]) {
      expected.setCurrentKey(key);
      expected.getMapState(TAGS).remove("t");
    }
    expect(canonical(one.snapshot())).toEqual(canonical(expected.snapshot()));
  });
});

describe("applyIncrementalChain", () => {
  const range = { start: 0, end: 3 };
  const delta = (checkpointId: number, baseCheckpointId: number | null, groups: IncrementalSnapshot["groups"] = []): IncrementalSnapshot => ({ version: 1, checkpointId, baseCheckpointId, keyGroupRange: range, groups });
  const table = (changes: Partial<IncrementalSnapshot["groups"][number]["tables"][number]>) => ({ name: "m", kind: "map" as const, ttl: false, puts: [], deletes: [], mapPuts: [], mapDeletes: [], ...changes });

  it("applies map entries one user key at a time, and drops a key whose map became empty", () => {
    const chain = [
      delta(1, null, [{ keyGroup: 2, tables: [table({ puts: [["k", [["a", 1], ["b", 2]]], ["gone", [["x", 0]]]] })] }]),
      delta(2, 1, [{ keyGroup: 2, tables: [table({ mapPuts: [["k", "a", 10], ["k", "c", 3]], mapDeletes: [["k", "b"], ["gone", "x"]] })] }]),
    ];
    expect(applyIncrementalChain(undefined, chain)).toEqual([{ keyGroup: 2, tables: [{ name: "m", kind: "map", ttl: false, entries: [["k", [["a", 10], ["c", 3]]]] }] }]);
  });

  it("takes deltas in checkpoint order, whatever order they are passed in", () => {
    const chain = [delta(2, 1, [{ keyGroup: 0, tables: [table({ mapPuts: [["k", "a", 2]] })] }]), delta(1, null, [{ keyGroup: 0, tables: [table({ mapPuts: [["k", "a", 1]] })] }])];
    expect(applyIncrementalChain(undefined, chain)[0].tables[0].entries).toEqual([["k", [["a", 2]]]]);
  });

  it("materialises only the key groups of a range when given one", () => {
    const chain = [delta(1, null, [0, 1, 2, 3].map((keyGroup) => ({ keyGroup, tables: [table({ mapPuts: [[`k${keyGroup}`, "a", keyGroup]] })] })))];
    expect(applyIncrementalChain(undefined, chain, { start: 1, end: 2 }).map((g) => g.keyGroup)).toEqual([1, 2]);
  });

  it("refuses a chain with a missing delta, or without a full start", () => {
    expect(() => applyIncrementalChain(undefined, [delta(1, null), delta(3, 2)])).toThrow("incremental snapshot 3 builds on checkpoint 2, but key group 0 was last brought to checkpoint 1: a delta is missing");
    expect(() => applyIncrementalChain(undefined, [delta(2, 1)])).toThrow("incremental snapshot 2 builds on checkpoint 1, but the chain has no full snapshot of key group 0");
    expect(() => applyIncrementalChain(undefined, [{ ...delta(1, null), version: 2 } as unknown as IncrementalSnapshot])).toThrow("unknown version 2");
  });

  it("refuses a state that changes kind along the chain", () => {
    const chain = [delta(1, null, [{ keyGroup: 0, tables: [table({ mapPuts: [["k", "a", 1]] })] }]), delta(2, 1, [{ keyGroup: 0, tables: [{ ...table({}), kind: "value" as const, puts: [["k", 1]] }] }])];
    expect(() => applyIncrementalChain(undefined, chain)).toThrow('state "m" is map state in one snapshot and value state in another');
  });
});
