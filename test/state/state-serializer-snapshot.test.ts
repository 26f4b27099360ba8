// State descriptors' serializers: values that are not plain data (Sets, Maps, class instances)
// survive snapshot → msgpack → restore, for every state kind and with TTL; restored values are
// converted once, when the first descriptor registers the state (restore runs before open).

import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
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
  type KeyGroupStateSnapshot,
  type StateSerializer,
} from "../../src/state/index.ts";

const MAX_PARALLELISM = 128;
const codec = new Packr({ useRecords: false, moreTypes: false });
const roundTrip = (snapshot: KeyGroupStateSnapshot[]): KeyGroupStateSnapshot[] => codec.unpack(codec.pack(snapshot)) as KeyGroupStateSnapshot[];

class Point {
  constructor(readonly x: number, readonly y: number) {}
  plus(other: Point): Point {
    return new Point(this.x + other.x, this.y + other.y);
  }
}

/** Counts conversions, to show they happen once per value and never on access. */
function pointSerializer(): StateSerializer<Point> & { restored: number } {
  const serializer = {
    restored: 0,
    toSnapshot: (p: Point) => [p.x, p.y],
    fromSnapshot: (data: unknown) => {
      serializer.restored += 1;
      const [x, y] = data as [number, number];
      return new Point(x, y);
    },
  };
  return serializer;
}

const setSerializer: StateSerializer<Set<string>> = { toSnapshot: (set) => [...set], fromSnapshot: (data) => new Set(data as string[]) };

/** One descriptor of each kind, each holding values msgpack alone would not give back. */
function descriptors() {
  const points = pointSerializer();
  return {
    points,
    tags: new ValueStateDescriptor<Set<string>>("tags", undefined, { serializer: setSerializer }),
    path: new ListStateDescriptor<Point>("path").withSerializer(points),
    byName: new MapStateDescriptor<string, Point>("by-name").withSerializer(points),
    total: new ReducingStateDescriptor<Point>("total", (a, b) => a.plus(b), { serializer: points }),
    centre: new AggregatingStateDescriptor<Point, { sum: Point; n: number }, Point>(
      "centre",
      {
        createAccumulator: () => ({ sum: new Point(0, 0), n: 0 }),
        add: (p, acc) => ({ sum: acc.sum.plus(p), n: acc.n + 1 }),
        getResult: (acc) => new Point(acc.sum.x / acc.n, acc.sum.y / acc.n),
        merge: (a, b) => ({ sum: a.sum.plus(b.sum), n: a.n + b.n }),
      },
      {
        serializer: {
          toSnapshot: (acc) => [acc.sum.x, acc.sum.y, acc.n],
          fromSnapshot: (data) => {
            const [x, y, n] = data as number[];
            return { sum: new Point(x, y), n };
          },
        },
      },
    ),
  };
}

const KEYS = Array.from({ length: 24 }, (_, i) => `key-${i}`);

function populate(backend: KeyedStateBackend, d: ReturnType<typeof descriptors>): void {
  KEYS.forEach((key, i) => {
    backend.setCurrentKey(key);
    backend.getState(d.tags).update(new Set([`t${i}`, `t${i + 1}`]));
    backend.getListState(d.path).addAll([new Point(i, 0), new Point(0, i)]);
    backend.getMapState(d.byName).put(`p${i}`, new Point(i, i));
    backend.getReducingState(d.total).add(new Point(1, i));
    backend.getReducingState(d.total).add(new Point(2, i));
    backend.getAggregatingState(d.centre).add(new Point(i, 2));
    backend.getAggregatingState(d.centre).add(new Point(i + 2, 4));
  });
}

/** Uses every value as what it is (a Set has .has, a Point has .plus): a plain object would throw. */
function read(backend: KeyedStateBackend, d: ReturnType<typeof descriptors>, key: string) {
  backend.setCurrentKey(key);
  const tags = backend.getState(d.tags).value()!;
  return {
    tags: [...tags].sort(),
    hasFirst: tags.has(`t${KEYS.indexOf(key)}`),
    path: backend.getListState(d.path).get().map((p) => p.plus(new Point(0, 0))),
    byName: backend.getMapState(d.byName).entries().map(([name, p]) => [name, p.plus(new Point(1, 1))]),
    total: backend.getReducingState(d.total).get()!.plus(new Point(0, 0)),
    centre: backend.getAggregatingState(d.centre).get(),
  };
}

describe("state descriptors with a serializer", () => {
  it("every state kind's values come back as what they were, after msgpack, at parallelism 1 and split across 2", () => {
    const before = descriptors();
    const original = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM });
    populate(original, before);
    const expected = KEYS.map((key) => read(original, before, key));
    const snapshot = roundTrip(original.snapshot());

    for (const parallelism of [1, 2]) {
      const after = descriptors();
      const subtasks = Array.from({ length: parallelism }, (_, i) => new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM, keyGroupRange: keyGroupRangeFor(i, parallelism, MAX_PARALLELISM) }));
      for (const subtask of subtasks) subtask.restore(snapshot);
      const subtaskOf = (key: string) => subtasks.find((s) => keyGroupOf(key, MAX_PARALLELISM) >= s.keyGroupRange.start && keyGroupOf(key, MAX_PARALLELISM) <= s.keyGroupRange.end)!;
      expect(KEYS.map((key) => read(subtaskOf(key), after, key))).toEqual(expected);
      expect(read(subtaskOf("key-3"), after, "key-3").total).toBeInstanceOf(Point);
    }
  });

  it("restored values are converted once, when the descriptor registers — never on access", () => {
    const d = descriptors();
    const original = new HeapKeyedStateBackend();
    populate(original, d);
    const snapshot = roundTrip(original.snapshot());

    const restored = new HeapKeyedStateBackend();
    restored.restore(snapshot);
    const after = descriptors();
    expect(after.points.restored).toBe(0);
    const total = restored.getReducingState(after.total);
    // One conversion per key, at registration.
    expect(after.points.restored).toBe(KEYS.length);
    for (let round = 0; round < 3; round++) {
      for (const key of KEYS) {
        restored.setCurrentKey(key);
        expect(total.get()).toBeInstanceOf(Point);
      }
    }
    expect(after.points.restored).toBe(KEYS.length);
  });

  it("a state restored but not yet registered snapshots again exactly as it was restored", () => {
    const d = descriptors();
    const original = new HeapKeyedStateBackend();
    populate(original, d);
    const snapshot = roundTrip(original.snapshot());
    const restored = new HeapKeyedStateBackend();
    restored.restore(snapshot);
    restored.getState(descriptors().tags); // one state registered, the others still waiting for their descriptors
    expect(roundTrip(restored.snapshot())).toEqual(snapshot);
  });

  it("a restore into states already registered converts at once", () => {
    const d = descriptors();
    const original = new HeapKeyedStateBackend();
    populate(original, d);
    const snapshot = roundTrip(original.snapshot());
    const after = descriptors();
    const restored = new HeapKeyedStateBackend();
    restored.getListState(after.path);
    restored.getMapState(after.byName);
    restored.restore(snapshot);
    restored.setCurrentKey("key-5");
    expect(restored.getListState(after.path).get()).toEqual([new Point(5, 0), new Point(0, 5)]);
    expect(restored.getMapState(after.byName).get("p5")!.plus(new Point(0, 0))).toEqual(new Point(5, 5));
  });

  it("TTL states keep their timestamps around the converted value, and expire as before", () => {
    const clock = new SimulatedClock(1_000);
    const ttl = () => StateTtlConfig.newBuilder(100).build();
    const seen = () => new ValueStateDescriptor<Set<string>>("seen", undefined, { serializer: setSerializer }).enableTimeToLive(ttl());
    const original = new HeapKeyedStateBackend({ clock });
    original.setCurrentKey("a");
    original.getState(seen()).update(new Set(["x"]));
    clock.advanceTo(1_050);
    original.setCurrentKey("b");
    original.getState(seen()).update(new Set(["y"]));
    const snapshot = roundTrip(original.snapshot());
    expect(snapshot.flatMap((g) => g.tables.flatMap((t) => t.entries.map(([, v]) => (v as { timestamp: number }).timestamp))).sort()).toEqual([1_000, 1_050]);

    const restored = new HeapKeyedStateBackend({ clock });
    restored.restore(snapshot);
    const state = restored.getState(seen());
    clock.advanceTo(1_100);
    restored.setCurrentKey("a");
    expect(state.value()).toBeUndefined(); // written at 1000: gone at 1100
    restored.setCurrentKey("b");
    expect(state.value()).toEqual(new Set(["y"]));
  });

  it("a state cannot be used both with and without a serializer", () => {
    const backend = new HeapKeyedStateBackend();
    backend.getState(new ValueStateDescriptor<Set<string>>("tags", undefined, { serializer: setSerializer }));
    expect(() => backend.getState(new ValueStateDescriptor<Set<string>>("tags"))).toThrow(/registered with a serializer/);
    // The same kind of serializer given again (a descriptor made per call) is fine.
    expect(() => backend.getState(new ValueStateDescriptor<Set<string>>("tags").withSerializer(setSerializer))).not.toThrow();
  });

  it("plain data needs no serializer, and a Set without one does not come back as a Set (why serializers exist)", () => {
    const backend = new HeapKeyedStateBackend();
    backend.setCurrentKey("a");
    backend.getState(new ValueStateDescriptor<number[]>("plain")).update([1, 2]);
    backend.getState(new ValueStateDescriptor<Set<number>>("set")).update(new Set([1]));
    const restored = new HeapKeyedStateBackend();
    restored.restore(roundTrip(backend.snapshot()));
    restored.setCurrentKey("a");
    expect(restored.getState(new ValueStateDescriptor<number[]>("plain")).value()).toEqual([1, 2]);
    expect(restored.getState(new ValueStateDescriptor<Set<number>>("set")).value()).not.toBeInstanceOf(Set);
  });
});
