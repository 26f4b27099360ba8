// A heap snapshot taken without stopping the input holds the state exactly as it was at the
// barrier, whatever the input does to it afterwards: compared, for random workloads, with the
// snapshot taken the old way (synchronously, at the barrier) as the independent expectation.

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import { keyGroupRangeFor } from "../../src/core/key-groups.ts";
import { HeapKeyedStateBackend, ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor, type KeyGroupStateSnapshot } from "../../src/state/index.ts";
import { keyGroupFromDirect } from "../../src/state/key-group-codec.ts";
import { decodeSubtaskSnapshot, encodeOperatorSnapshots, encodeWithKeyedParts, SNAPSHOT_CODEC_OPTIONS } from "../../src/state/operator-snapshot.ts";

const packr = new Packr(SNAPSHOT_CODEC_OPTIONS);
const unpack = (bytes: Uint8Array) => keyGroupFromDirect(packr.unpack(bytes), "test part") as KeyGroupStateSnapshot;
/** The old way: every key group at the barrier, encoded at once (the synchronous snapshot hands out live values). */
const snapshotNow = (backend: HeapKeyedStateBackend) => packr.unpack(packr.pack(backend.snapshot())) as KeyGroupStateSnapshot[];

type Op = { key: number; kind: "count" | "push" | "tag" | "clear" | "mutate"; value: number };
const op: fc.Arbitrary<Op> = fc.record({ key: fc.integer({ min: 0, max: 300 }), kind: fc.constantFrom("count", "push", "tag", "clear", "mutate"), value: fc.integer({ min: 0, max: 9 }) });

function backendWithStates() {
  const backend = new HeapKeyedStateBackend({ maxParallelism: 32, keyGroupRange: keyGroupRangeFor(0, 1, 32), clock: new SimulatedClock(0) });
  const count = backend.getState(new ValueStateDescriptor<number>("count", 0));
  const box = backend.getState(new ValueStateDescriptor<{ n: number }>("box"));
  const list = backend.getListState(new ListStateDescriptor<number>("list"));
  const tags = backend.getMapState(new MapStateDescriptor<string, number>("tags"));
  const apply = ({ key, kind, value }: Op) => {
    backend.setCurrentKey(key);
    if (kind === "count") count.update(count.value()! + value);
    else if (kind === "push") list.add(value);
    else if (kind === "tag") tags.put(`t${value}`, key);
    else if (kind === "clear") (value % 2 === 0 ? list : tags).clear();
    // Live heap values: changed in place through the object a read handed out.
    else {
      const held = box.value();
      if (held === undefined) box.update({ n: value });
      else held.n += value;
    }
  };
  return { backend, apply };
}

describe("a heap snapshot taken while the input goes on", () => {
  it("holds the state as it was at the barrier, not as the records after it changed it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 300 }), fc.array(op, { maxLength: 300 }), async (before, after) => {
        const { backend, apply } = backendWithStates();
        for (const o of before) apply(o);
        const expected = snapshotNow(backend);
        const taking = backend.beginSnapshot();
        for (const o of after) apply(o);
        const parts = await taking.finish();
        expect(parts.map(unpack)).toEqual(expected);
        expect(backend.capture).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it("completes a snapshot still being taken before the next one begins", async () => {
    const { backend, apply } = backendWithStates();
    apply({ key: 1, kind: "count", value: 5 });
    const first = snapshotNow(backend);
    const taking1 = backend.beginSnapshot();
    apply({ key: 2, kind: "count", value: 7 });
    const second = snapshotNow(backend);
    const taking2 = backend.beginSnapshot();
    apply({ key: 1, kind: "count", value: 1 });
    expect((await taking1.finish()).map(unpack)).toEqual(first);
    expect((await taking2.finish()).map(unpack)).toEqual(second);
  });

  it("fails the snapshot, not the record, when a value cannot be encoded", async () => {
    const backend = new HeapKeyedStateBackend({ maxParallelism: 8 });
    const loop = backend.getState(new ValueStateDescriptor<{ self?: unknown }>("loop"));
    backend.setCurrentKey("k");
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    loop.update(cyclic);
    const taking = backend.beginSnapshot();
    expect(() => loop.value()).not.toThrow();
    await expect(taking.finish()).rejects.toThrow();
  });

  it("travels in the subtask snapshot: decoding puts each operator's key groups back, and a fresh backend restores them", async () => {
    const { backend, apply } = backendWithStates();
    for (let key = 0; key < 50; key++) apply({ key, kind: "count", value: key % 7 });
    const expected = snapshotNow(backend);
    const taking = backend.beginSnapshot();
    apply({ key: 3, kind: "count", value: 100 });
    const bytes = encodeWithKeyedParts(encodeOperatorSnapshots([{ uid: "timers-only", timers: [] }, { uid: "counts" }]), [[1, await taking.finish()]]);
    const decoded = decodeSubtaskSnapshot(bytes, "test snapshot");
    expect(decoded.operators.map((o) => o.uid)).toEqual(["timers-only", "counts"]);
    expect(decoded.operators[1].keyed).toEqual(expected);
    const fresh = new HeapKeyedStateBackend({ maxParallelism: 32, keyGroupRange: keyGroupRangeFor(0, 1, 32) });
    fresh.restore(decoded.operators[1].keyed!);
    const count = fresh.getState(new ValueStateDescriptor<number>("count", 0));
    fresh.setCurrentKey(3);
    expect(count.value()).toBe(3);
    expect(fresh.size("count")).toBe(backend.size("count"));
  });
});
