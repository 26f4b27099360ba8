// State TTL on a simulated clock: a value expires ttl ms after its TTL last restarted; reads
// restart it only with OnReadAndWrite; an expired value is removed on access and returned (that
// once) only with ReturnExpiredIfNotCleanedUp; cleanupFullSnapshot leaves expired values out.

import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/runtime/clock.ts";
import {
  AggregatingStateDescriptor,
  KeyedStateBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  StateVisibility,
  UpdateType,
  ValueStateDescriptor,
  isExpired,
} from "../../src/state/index.ts";

const TTL = 1_000;

function setup(config: StateTtlConfig = StateTtlConfig.newBuilder(TTL).build()) {
  const clock = new SimulatedClock(0);
  const backend = new KeyedStateBackend({ clock });
  return { clock, backend, config };
}

describe("StateTtlConfig", () => {
  it("defaults to Flink's: update on create and write, never return expired, no snapshot cleanup", () => {
    const config = StateTtlConfig.newBuilder(TTL).build();
    expect([config.ttlMs, config.updateType, config.stateVisibility, config.cleanupInFullSnapshot]).toEqual([TTL, "OnCreateAndWrite", "NeverReturnExpired", false]);
  });

  it("the builder sets every option", () => {
    const config = StateTtlConfig.newBuilder(5)
      .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
      .setStateVisibility(StateVisibility.ReturnExpiredIfNotCleanedUp)
      .cleanupFullSnapshot()
      .build();
    expect([config.updateType, config.stateVisibility, config.cleanupInFullSnapshot]).toEqual([UpdateType.OnReadAndWrite, "ReturnExpiredIfNotCleanedUp", true]);
  });

  it("refuses a TTL that is not a positive number of milliseconds", () => {
    expect(() => StateTtlConfig.newBuilder(0)).toThrow("a state TTL must be a positive number of milliseconds, got 0");
    expect(() => StateTtlConfig.newBuilder(Number.NaN)).toThrow("positive number");
  });

  it("a value has expired from the instant its timestamp plus the TTL is reached", () => {
    expect(isExpired({ value: 1, timestamp: 100 }, 50, 149)).toBe(false);
    expect(isExpired({ value: 1, timestamp: 100 }, 50, 150)).toBe(true);
  });
});

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
  const keysIn = (backend: KeyedStateBackend) => backend.snapshot().flatMap((g) => g.tables.flatMap((t) => t.entries.map(([key]) => key)));

  it("cleanupFullSnapshot leaves expired values out of the snapshot and keeps the live ones with their timestamps", () => {
    const backend = twoKeysHalfExpired(StateTtlConfig.newBuilder(TTL).returnExpiredIfNotCleanedUp().cleanupFullSnapshot().build());
    const snapshot = backend.snapshot();
    expect(keysIn(backend)).toEqual(["new"]);
    expect(snapshot.flatMap((g) => g.tables)[0]).toMatchObject({ name: "v", kind: "value", ttl: true, entries: [["new", { value: "n", timestamp: 600 }]] });
    // The live state is left as it was: the expired value is still there to be returned once.
    backend.setCurrentKey("old");
    expect(backend.getState(new ValueStateDescriptor<string>("v").enableTimeToLive(StateTtlConfig.newBuilder(TTL).returnExpiredIfNotCleanedUp().build())).value()).toBe("o");
  });

  it("without cleanupFullSnapshot, expired values not yet accessed are still in the snapshot", () => {
    const backend = twoKeysHalfExpired(StateTtlConfig.newBuilder(TTL).build());
    expect(keysIn(backend).sort()).toEqual(["new", "old"]);
  });

  it("a restored TTL value keeps its timestamp, so it expires when it would have", () => {
    const config = StateTtlConfig.newBuilder(TTL).build();
    const first = setup(config);
    first.backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
    first.backend.setCurrentKey("k");
    first.backend.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config)).update(7);
    const clock = new SimulatedClock(900);
    const restored = new KeyedStateBackend({ clock });
    restored.restore(first.backend.snapshot());
    const v = restored.getState(new ValueStateDescriptor<number>("v").enableTimeToLive(config));
    restored.setCurrentKey("k");
    expect(v.value()).toBe(7);
    clock.advanceTo(1_000);
    expect(v.value()).toBeUndefined();
  });
});
