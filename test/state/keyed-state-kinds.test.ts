// What only the heap backend promises about keyed state: map state lists its entries in insertion
// order. Everything else every backend does alike — each handle reads and writes the current
// key's state only, states are shared by name and must agree on their kind, applyToAllKeys
// visits every key — is one behaviour table run on each backend in keyed-state-backends.test.ts.

import { describe, expect, it } from "vitest";
import { KeyedStateBackend, MapStateDescriptor } from "../../src/state/index.ts";

describe("MapState on the heap backend", () => {
  it("lists keys, values and entries in insertion order, and putAll takes a Map or pairs", () => {
    const backend = new KeyedStateBackend();
    const m = backend.getMapState(new MapStateDescriptor<string, number>("m"));
    backend.setCurrentKey("k");
    m.putAll(new Map([["x", 1], ["y", 2]]));
    m.putAll([["z", 3]]);
    expect(m.keys()).toEqual(["x", "y", "z"]);
    expect(m.values()).toEqual([1, 2, 3]);
    expect(m.entries()).toEqual([["x", 1], ["y", 2], ["z", 3]]);
  });
});
