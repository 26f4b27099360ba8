// Per-window state is keyed state whose namespace is the window: the same handles the keyed
// backends hand out, over the current window's slot. Each window sees only its own state; a TTL
// and a serializer work as on the backends; values survive a snapshot of the slot's state.

import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateTtlConfig, ValueStateDescriptor } from "../../src/state/index.ts";
import { RestoredScopedValue, SlotStateStore, scopedValueFromSnapshot, scopedValueToSnapshot, type ScopedStateRegistry } from "../../src/windowing/window-state-cells.ts";
import { emptyKeyWindows, slotFor, type WindowSlot } from "../../src/windowing/window-state.ts";
import { TimeWindow } from "../../src/windowing/windows.ts";

/** A store pointed at one of two windows of one key, as the window operator's contexts are. */
function windows(clock = new SimulatedClock(0)) {
  const kw = emptyKeyWindows();
  const a = new TimeWindow(0, 10);
  const b = new TimeWindow(10, 20);
  let current = a;
  const registry: ScopedStateRegistry = new Map();
  const store = new SlotStateStore("windowState", (create) => (create ? slotFor(kw, current) : kw.slots.get(current.id)), clock, registry);
  const at = (window: TimeWindow) => {
    current = window;
  };
  return { kw, a, b, at, store, registry, clock };
}

describe("per-window state", () => {
  it("gives each window its own value, list, reducing, aggregating and map state", () => {
    const { a, b, at, store } = windows();
    const value = store.getState(new ValueStateDescriptor<number>("v", 0));
    const list = store.getListState(new ListStateDescriptor<string>("l"));
    const sum = store.getReducingState(new ReducingStateDescriptor<number>("r", (x, y) => x + y));
    const avg = store.getAggregatingState(
      new AggregatingStateDescriptor<number, [number, number], number>("g", { createAccumulator: () => [0, 0], add: (v, [s, n]) => [s + v, n + 1], getResult: ([s, n]) => s / n, merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2] }),
    );
    const map = store.getMapState(new MapStateDescriptor<string, number>("m"));
    at(a);
    value.update(7);
    list.add("x");
    list.addAll(["y", "z"]);
    sum.add(2);
    sum.add(3);
    avg.add(1);
    avg.add(3);
    map.put("k", 1);
    at(b);
    expect([value.value(), list.get(), sum.get(), avg.get(), map.isEmpty()]).toEqual([0, [], undefined, undefined, true]);
    list.add("only-b");
    at(a);
    expect([value.value(), list.get(), sum.get(), avg.get(), map.entries()]).toEqual([7, ["x", "y", "z"], 5, 2, [["k", 1]]]);
    expect(() => list.add(undefined as unknown as string)).toThrow("list state l: cannot add undefined");
  });

  it("drops a window's values once every one is cleared, and refuses a name used for another kind", () => {
    const { kw, a, at, store } = windows();
    const map = store.getMapState(new MapStateDescriptor<string, number>("m"));
    at(a);
    map.put("k", 1);
    expect(kw.slots.get(a.id)?.windowState?.size).toBe(1);
    map.remove("k");
    expect(kw.slots.get(a.id)?.windowState).toBeUndefined();
    expect(() => store.getListState(new ListStateDescriptor<number>("m"))).toThrow("per-window state m is map state, not list state");
  });

  it("honours a TTL, read from the operator's clock", () => {
    const { a, at, store, clock } = windows(new SimulatedClock(1_000));
    const ttl = StateTtlConfig.newBuilder(100).build();
    const value = store.getState(new ValueStateDescriptor<string>("v").enableTimeToLive(ttl));
    const list = store.getListState(new ListStateDescriptor<number>("l").enableTimeToLive(ttl));
    at(a);
    value.update("fresh");
    list.add(1);
    clock.advanceBy(60);
    list.add(2);
    expect([value.value(), list.get()]).toEqual(["fresh", [1, 2]]);
    clock.advanceBy(40);
    expect([value.value(), list.get()]).toEqual([undefined, [2]]);
  });

  it("carries values through a snapshot by their descriptor's kind, TTL and serializer", () => {
    const { a, at, store, registry, kw } = windows(new SimulatedClock(5));
    const asDate = { toSnapshot: (d: Date) => d.getTime(), fromSnapshot: (t: unknown) => new Date(t as number) };
    const dates = new MapStateDescriptor<string, Date>("dates").withSerializer(asDate).enableTimeToLive(StateTtlConfig.newBuilder(1_000).build());
    const seen = new ListStateDescriptor<Date>("seen").withSerializer(asDate);
    at(a);
    store.getMapState(dates).put("first", new Date(42));
    store.getListState(seen).add(new Date(43));
    const slot = kw.slots.get(a.id) as WindowSlot;
    const snapshot = Array.from(slot.windowState!, ([name, value]) => [name, scopedValueToSnapshot(value, registry.get(name))] as const);
    expect(snapshot).toEqual([
      ["dates", [["first", { value: 42, timestamp: 5 }]]],
      ["seen", [43]],
    ]);
    const restored = scopedValueFromSnapshot(snapshot[0][1], registry.get("dates")!) as Map<unknown, { value: Date }>;
    expect(restored.get("first")?.value).toEqual(new Date(42));
    // A restored value waits as data until a handle reads it, then reads like the original.
    const fresh = windows(new SimulatedClock(5));
    fresh.at(fresh.a);
    slotFor(fresh.kw, fresh.a).windowState = new Map([["seen", new RestoredScopedValue([43])]]);
    expect(fresh.store.getListState(seen).get()).toEqual([new Date(43)]);
  });
});
