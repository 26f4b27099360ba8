// State TTL on a simulated clock, one behaviour table run against the heap and the LMDB backends:
// a value expires ttl ms after its TTL last restarted; reads restart it only with OnReadAndWrite;
// an expired value is removed on access and returned (that once) only with
// ReturnExpiredIfNotCleanedUp; cleanupFullSnapshot leaves expired values out; a TTL state's
// snapshot restores into the other backend with its timestamps.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import {
  AggregatingStateDescriptor,
  HeapKeyedStateBackend,
  type KeyedStateBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  UpdateType,
  ValueStateDescriptor,
  type KeyedStateBackendOptions,
} from "../../src/state/index.ts";
import { LmdbKeyedStateBackend } from "../../src/state/lmdb/index.ts";

type KeyedBackend = KeyedStateBackend;
type Make = (options?: KeyedStateBackendOptions) => KeyedBackend;

const opened: LmdbKeyedStateBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.dispose()));
});

function lmdb(writeBufferSize?: number): Make {
  return (options = {}) => {
    const backend = new LmdbKeyedStateBackend({ ...options, directory: mkdtempSync(join(tmpdir(), "weir-lmdb-ttl-")), writeBufferSize });
    opened.push(backend);
    return backend;
  };
}

const heap: Make = (options) => new HeapKeyedStateBackend(options);
const BACKENDS: [string, Make][] = [
  ["heap", heap],
  ["lmdb", lmdb()],
  ["lmdb, every write committed", lmdb(1)],
];

const TTL = 1_000;

describe.each(BACKENDS)("%s backend", (_, make) => {
  function setup(config: StateTtlConfig = StateTtlConfig.newBuilder(TTL).build()) {
    const clock = new SimulatedClock(0);
    const backend = make({ clock });
    return { clock, backend, config };
  }

  describe("ValueState with a TTL", () => {
    it("a value read before the TTL has passed is returned, and after it is gone", () => {
      const { clock, backend, config } = setup();
      const v = backend.getState(new ValueStateDescriptor<string>("v").enableTimeToLive(config));
      backend.setCurrentKey("k");
      v.update("x");
      clock.advanceTo(TTL - 1);
      expect(v.value()).toBe("x");
      clock.advanceTo(TTL);
      expect(v.value()).toBeUndefined();
      expect(backend.size("v")).toBe(0);
    });

    it("an expired value gives way to the descriptor's default", () => {
      const { clock, backend, config } = setup();
      const v = backend.getState(new ValueStateDescriptor("v", 42).enableTimeToLive(config));
      backend.setCurrentKey("k");
      v.update(1);
      clock.advanceBy(TTL);
      expect(v.value()).toBe(42);
    });

    it("with OnCreateAndWrite, reads do not extend the life of a value but writes do", () => {
      const { clock, backend, config } = setup();
      const v = backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
      backend.setCurrentKey("k");
      v.update(1);
      clock.advanceTo(600);
      expect(v.value()).toBe(1);
      clock.advanceTo(1_000);
      expect(v.value()).toBeUndefined();
      v.update(2);
      clock.advanceTo(1_900);
      v.update(3);
      clock.advanceTo(2_800);
      expect(v.value()).toBe(3);
    });

    it("with OnReadAndWrite, every read restarts the TTL", () => {
      const { clock, backend } = setup();
      const config = StateTtlConfig.newBuilder(TTL).updateTtlOnReadAndWrite().build();
      const v = backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
      backend.setCurrentKey("k");
      v.update(1);
      for (const t of [600, 1_200, 1_800, 2_400]) {
        clock.advanceTo(t);
        expect(v.value()).toBe(1);
      }
      clock.advanceTo(3_400);
      expect(v.value()).toBeUndefined();
    });

    it("ReturnExpiredIfNotCleanedUp returns an expired value once, removing it on that access", () => {
      const { clock, backend } = setup();
      const config = StateTtlConfig.newBuilder(TTL).returnExpiredIfNotCleanedUp().build();
      const v = backend.getState(new ValueStateDescriptor<string>("v").enableTimeToLive(config));
      backend.setCurrentKey("k");
      v.update("stale");
      clock.advanceTo(5_000);
      expect(v.value()).toBe("stale");
      expect(v.value()).toBeUndefined();
    });

    it("each key's value expires on its own schedule", () => {
      const { clock, backend, config } = setup();
      const v = backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
      backend.setCurrentKey("early");
      v.update(1);
      clock.advanceTo(500);
      backend.setCurrentKey("late");
      v.update(2);
      clock.advanceTo(1_200);
      expect(v.value()).toBe(2);
      backend.setCurrentKey("early");
      expect(v.value()).toBeUndefined();
    });
  });

  describe("ListState with a TTL", () => {
    it("each element expires on its own, and expired elements are removed on access", () => {
      const { clock, backend, config } = setup();
      const list = backend.getListState(new ListStateDescriptor<string>("l").enableTimeToLive(config));
      backend.setCurrentKey("k");
      list.add("a");
      clock.advanceTo(400);
      list.addAll(["b", "c"]);
      clock.advanceTo(1_000);
      expect(list.get()).toEqual(["b", "c"]);
      clock.advanceTo(1_400);
      expect(list.get()).toEqual([]);
      expect(backend.size("l")).toBe(0);
    });

    it("ReturnExpiredIfNotCleanedUp returns expired elements once, in order, then drops them", () => {
      const { clock, backend } = setup();
      const config = StateTtlConfig.newBuilder(TTL).returnExpiredIfNotCleanedUp().build();
      const list = backend.getListState(new ListStateDescriptor<number>("l").enableTimeToLive(config));
      backend.setCurrentKey("k");
      list.add(1);
      clock.advanceTo(800);
      list.add(2);
      clock.advanceTo(1_100);
      expect(list.get()).toEqual([1, 2]);
      expect(list.get()).toEqual([2]);
    });

    it("with OnReadAndWrite, reading the list restarts every element's TTL", () => {
      const { clock, backend } = setup();
      const config = StateTtlConfig.newBuilder(TTL).setUpdateType(UpdateType.OnReadAndWrite).build();
      const list = backend.getListState(new ListStateDescriptor<number>("l").enableTimeToLive(config));
      backend.setCurrentKey("k");
      list.update([1, 2]);
      clock.advanceTo(900);
      expect(list.get()).toEqual([1, 2]);
      clock.advanceTo(1_800);
      expect(list.get()).toEqual([1, 2]);
      clock.advanceTo(2_800);
      expect(list.get()).toEqual([]);
    });
  });

  describe("MapState with a TTL", () => {
    it("each entry expires on its own; contains and the listings see only live entries", () => {
      const { clock, backend, config } = setup();
      const m = backend.getMapState(new MapStateDescriptor<string, number>("m").enableTimeToLive(config));
      backend.setCurrentKey("k");
      m.put("old", 1);
      clock.advanceTo(700);
      m.put("new", 2);
      clock.advanceTo(1_000);
      expect(m.contains("old")).toBe(false);
      expect(m.get("new")).toBe(2);
      expect(m.entries()).toEqual([["new", 2]]);
      clock.advanceTo(1_700);
      expect(m.isEmpty()).toBe(true);
      expect(backend.size("m")).toBe(0);
    });

    it("a put restarts its entry's TTL, and OnReadAndWrite reads restart it too", () => {
      const { clock, backend } = setup();
      const config = StateTtlConfig.newBuilder(TTL).updateTtlOnReadAndWrite().build();
      const m = backend.getMapState(new MapStateDescriptor<string, number>("m").enableTimeToLive(config));
      backend.setCurrentKey("k");
      m.put("read", 1);
      m.put("unread", 2);
      clock.advanceTo(900);
      expect(m.get("read")).toBe(1);
      clock.advanceTo(1_500);
      expect(m.keys()).toEqual(["read"]);
    });

    it("ReturnExpiredIfNotCleanedUp returns an expired entry once", () => {
      const { clock, backend } = setup();
      const config = StateTtlConfig.newBuilder(TTL).returnExpiredIfNotCleanedUp().build();
      const m = backend.getMapState(new MapStateDescriptor<string, number>("m").enableTimeToLive(config));
      backend.setCurrentKey("k");
      m.put("a", 1);
      clock.advanceTo(2_000);
      expect(m.get("a")).toBe(1);
      expect(m.get("a")).toBeUndefined();
    });
  });

  describe("ReducingState and AggregatingState with a TTL", () => {
    it("a reduction that expired starts over from the next value", () => {
      const { clock, backend, config } = setup();
      const sum = backend.getReducingState(new ReducingStateDescriptor<number>("sum", (a, b) => a + b).enableTimeToLive(config));
      backend.setCurrentKey("k");
      sum.add(1);
      sum.add(2);
      clock.advanceTo(999);
      sum.add(3);
      expect(sum.get()).toBe(6);
      clock.advanceTo(1_999);
      sum.add(10);
      expect(sum.get()).toBe(10);
    });

    it("an aggregate that expired starts from a fresh accumulator", () => {
      const { clock, backend, config } = setup();
      const count = backend.getAggregatingState(
        new AggregatingStateDescriptor("count", {
          createAccumulator: () => 0,
          add: (_: string, acc: number) => acc + 1,
          getResult: (acc: number) => acc,
          merge: (a: number, b: number) => a + b,
        }).enableTimeToLive(config),
      );
      backend.setCurrentKey("k");
      count.add("a");
      count.add("b");
      expect(count.get()).toBe(2);
      clock.advanceTo(1_000);
      expect(count.get()).toBeUndefined();
      count.add("c");
      expect(count.get()).toBe(1);
    });
  });

  describe("TTL in snapshots", () => {
    function twoKeysHalfExpired(config: StateTtlConfig) {
      const { clock, backend } = setup(config);
      const v = backend.getState(new ValueStateDescriptor<string>("v").enableTimeToLive(config));
      backend.setCurrentKey("old");
      v.update("o");
      clock.advanceTo(600);
      backend.setCurrentKey("new");
      v.update("n");
      clock.advanceTo(1_200);
      return backend;
    }
    const keysIn = (backend: KeyedBackend) => backend.snapshot().flatMap((g) => g.tables.flatMap((t) => t.entries.map(([key]) => key)));

    it("cleanupFullSnapshot leaves expired values out of the snapshot and keeps the live ones with their timestamps", () => {
      const backend = twoKeysHalfExpired(StateTtlConfig.newBuilder(TTL).returnExpiredIfNotCleanedUp().cleanupFullSnapshot().build());
      const snapshot = backend.snapshot();
      expect(keysIn(backend)).toEqual(["new"]);
      expect(snapshot.flatMap((g) => g.tables)[0]).toMatchObject({ name: "v", kind: "value", ttl: true, entries: [["new", { value: "n", timestamp: 600 }]] });
      // The live state is left as it was: the expired value is still there to be returned once.
      backend.setCurrentKey("old");
      expect(backend.getState(new ValueStateDescriptor<string>("v").enableTimeToLive(StateTtlConfig.newBuilder(TTL).returnExpiredIfNotCleanedUp().build())).value()).toBe("o");
    });

    it("cleanupFullSnapshot drops expired list elements and map entries, keeping the live ones", () => {
      const config = StateTtlConfig.newBuilder(TTL).cleanupFullSnapshot().build();
      const { clock, backend } = setup(config);
      const list = backend.getListState(new ListStateDescriptor<string>("l").enableTimeToLive(config));
      const map = backend.getMapState(new MapStateDescriptor<string, number>("m").enableTimeToLive(config));
      backend.setCurrentKey("k");
      list.add("early");
      map.put("early", 1);
      clock.advanceTo(500);
      list.add("late");
      map.put("late", 2);
      clock.advanceTo(1_200);
      const tables = backend.snapshot().flatMap((g) => g.tables);
      expect(tables.find((t) => t.name === "l")!.entries).toEqual([["k", [{ value: "late", timestamp: 500 }]]]);
      expect(tables.find((t) => t.name === "m")!.entries).toEqual([["k", [["late", { value: 2, timestamp: 500 }]]]]);
    });

    it("without cleanupFullSnapshot, expired values not yet accessed are still in the snapshot", () => {
      const backend = twoKeysHalfExpired(StateTtlConfig.newBuilder(TTL).build());
      expect(keysIn(backend).sort()).toEqual(["new", "old"]);
    });

    it.each([
      ["the heap backend", heap],
      ["the LMDB backend", lmdb()],
    ])("a restored TTL value keeps its timestamp in %s, so it expires when it would have", (_, makeRestored) => {
      const config = StateTtlConfig.newBuilder(TTL).build();
      const first = setup(config);
      first.backend.setCurrentKey("k");
      first.backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config)).update(7);
      const clock = new SimulatedClock(900);
      const restored = makeRestored({ clock });
      restored.restore(first.backend.snapshot());
      const v = restored.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
      restored.setCurrentKey("k");
      expect(v.value()).toBe(7);
      clock.advanceTo(1_000);
      expect(v.value()).toBeUndefined();
    });
  });
});
