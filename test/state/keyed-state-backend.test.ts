// Heap keyed state: every value state is scoped to the key being processed, and keys compare by
// value, so two equal objects are the same key.

import { describe, expect, it } from "vitest";
import { normalizeKey, ValueStateDescriptor } from "../../src/state/keyed-state-backend.ts";
import { HeapKeyedStateBackend } from "../../src/state/heap-keyed-state-backend.ts";

describe("KeyedStateBackend", () => {
  it("scopes a value state to the current key", () => {
    const backend = new HeapKeyedStateBackend();
    const count = backend.getState(new ValueStateDescriptor<number>("count"));
    backend.setCurrentKey("alice");
    count.update(1);
    backend.setCurrentKey("bob");
    expect(count.value()).toBeUndefined();
    count.update(10);
    backend.setCurrentKey("alice");
    expect(count.value()).toBe(1);
    count.update((count.value() ?? 0) + 1);
    backend.setCurrentKey("bob");
    expect(count.value()).toBe(10);
    backend.setCurrentKey("alice");
    expect(count.value()).toBe(2);
    expect(backend.size("count")).toBe(2);
  });

  it("answers the descriptor's default for a key without a value, without storing it", () => {
    const backend = new HeapKeyedStateBackend();
    const total = backend.getState(new ValueStateDescriptor("total", 0));
    backend.setCurrentKey("k");
    expect(total.value()).toBe(0);
    expect(backend.size("total")).toBe(0);
    total.update(5);
    expect(total.value()).toBe(5);
  });

  it("returns to the default after clear, and after an update to undefined", () => {
    const backend = new HeapKeyedStateBackend();
    const last = backend.getState(new ValueStateDescriptor<string>("last", "none"));
    backend.setCurrentKey(1);
    last.update("x");
    last.clear();
    expect(last.value()).toBe("none");
    last.update("y");
    last.update(undefined as unknown as string);
    expect(last.value()).toBe("none");
    expect(backend.size("last")).toBe(0);
  });

  it("keeps falsy values distinct from the default", () => {
    const backend = new HeapKeyedStateBackend();
    const n = backend.getState(new ValueStateDescriptor("n", 42));
    const flag = backend.getState(new ValueStateDescriptor("flag", true));
    const text = backend.getState(new ValueStateDescriptor("text", "default"));
    const maybe = backend.getState(new ValueStateDescriptor<string | null>("maybe", "default"));
    backend.setCurrentKey("k");
    n.update(0);
    flag.update(false);
    text.update("");
    maybe.update(null);
    expect([n.value(), flag.value(), text.value(), maybe.value()]).toEqual([0, false, "", null]);
  });

  it("keeps states with different names apart, and shares one name between handles", () => {
    const backend = new HeapKeyedStateBackend();
    backend.setCurrentKey("k");
    const a = backend.getState(new ValueStateDescriptor<number>("a"));
    const b = backend.getState(new ValueStateDescriptor<number>("b"));
    a.update(1);
    b.update(2);
    const a2 = backend.getState(new ValueStateDescriptor<number>("a"));
    expect([a.value(), b.value(), a2.value()]).toEqual([1, 2, 1]);
    a2.update(3);
    expect(a.value()).toBe(3);
  });

  it("treats equal object and array keys as the same key", () => {
    const backend = new HeapKeyedStateBackend();
    const state = backend.getState(new ValueStateDescriptor<string>("s"));
    backend.setCurrentKey({ user: 7, region: "eu" });
    state.update("first");
    backend.setCurrentKey({ user: 7, region: "eu" });
    expect(state.value()).toBe("first");
    backend.setCurrentKey({ user: 7, region: "us" });
    expect(state.value()).toBeUndefined();
    backend.setCurrentKey([1, "a"]);
    state.update("tuple");
    backend.setCurrentKey([1, "a"]);
    expect(state.value()).toBe("tuple");
    expect(backend.size("s")).toBe(2);
  });

  it("keeps keys of different types apart", () => {
    const backend = new HeapKeyedStateBackend();
    const state = backend.getState(new ValueStateDescriptor<string>("s"));
    const keys: unknown[] = [1, "1", true, "true", null, "null", [1], "[1]", 1n];
    keys.forEach((key, i) => {
      backend.setCurrentKey(key);
      state.update(`value ${i}`);
    });
    keys.forEach((key, i) => {
      backend.setCurrentKey(key);
      expect(state.value()).toBe(`value ${i}`);
    });
    expect(backend.size("s")).toBe(keys.length);
  });

  it("exposes the current key as given", () => {
    const backend = new HeapKeyedStateBackend();
    const key = { id: 3 };
    backend.setCurrentKey(key);
    expect(backend.currentKey).toBe(key);
  });

  it("refuses a state descriptor without a name", () => {
    expect(() => new ValueStateDescriptor("")).toThrow("a state descriptor needs a non-empty name");
  });
});

describe("normalizeKey", () => {
  it("keeps primitives as they are and turns other keys into text that compares by value", () => {
    expect([normalizeKey("a"), normalizeKey(1), normalizeKey(false), normalizeKey(null), normalizeKey(undefined)]).toEqual(["a", 1, false, null, undefined]);
    expect(normalizeKey({ a: 1 })).toBe(normalizeKey({ a: 1 }));
    expect(normalizeKey({ a: 1 })).not.toBe(normalizeKey({ a: 2 }));
    expect(normalizeKey(["x"])).not.toBe("[\"x\"]");
  });
});
