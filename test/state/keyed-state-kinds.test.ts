// What only the heap backend promises about keyed state: map state lists its entries in insertion
// order. Everything else every backend does alike — each handle reads and writes the current
// key's state only, states are shared by name and must agree on their kind, applyToAllKeys
// visits every key — is one behaviour table run on each backend in keyed-state-backends.test.ts.

import { describe, expect, it } from "vitest";
import { HeapKeyedStateBackend, MapStateDescriptor } from "../../src/state/index.ts";

describe("MapState on the heap backend", () => {
  it("lists keys, values and entries in insertion order, not key order", () => {
    const backend = new HeapKeyedStateBackend();
    const m = backend.getMapState(new MapStateDescriptor<string, number>("m"));
    backend.setCurrentKey("k");
    m.putAll([["z", 1], ["x", 2]]);
    m.put("y", 3);
    expect(m.keys()).toEqual(["z", "x", "y"]);
    expect(m.values()).toEqual([1, 2, 3]);
    expect(m.entries()).toEqual([["z", 1], ["x", 2], ["y", 3]]);
  });
});
