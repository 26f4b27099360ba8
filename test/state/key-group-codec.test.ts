// The direct encoding of a heap key group (DirectKeyGroupWriter) reads back as exactly the snapshot
// the general path makes (StateTable.snapshotGroup + msgpackr), for random plain keys and values of
// every kind; and it gives up, so the general path runs, on anything that is not plain.

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { keyGroupRangeFor } from "../../src/core/key-groups.ts";
import { HeapKeyedStateBackend, ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor, type KeyGroupStateSnapshot } from "../../src/state/index.ts";
import { DirectKeyGroupWriter, keyGroupFromDirect } from "../../src/state/key-group-codec.ts";
import { decodeSubtaskSnapshot, encodeOperatorSnapshots, encodeWithKeyedParts, SNAPSHOT_CODEC_OPTIONS } from "../../src/state/operator-snapshot.ts";
import { StateTable } from "../../src/state/state-table.ts";

const packr = new Packr(SNAPSHOT_CODEC_OPTIONS);
const generalWay = (table: StateTable, index: number, keyGroup: number): KeyGroupStateSnapshot | null => {
  const entries = table.snapshotGroup(index, 0);
  return entries.length === 0 ? null : (packr.unpack(packr.pack({ keyGroup, tables: [{ name: table.name, kind: table.kind, ttl: false, entries }] })) as KeyGroupStateSnapshot);
};
const directWay = (writer: DirectKeyGroupWriter, table: StateTable, index: number, keyGroup: number): KeyGroupStateSnapshot | null | undefined => {
  const bytes = writer.encode(keyGroup, index, [table]);
  return bytes === null || bytes === undefined ? bytes : (keyGroupFromDirect(packr.unpack(bytes), "test") as KeyGroupStateSnapshot);
};

// Every number msgpackr distinguishes (fixints, 8/16/32-bit, negative, floats, beyond 32 bits),
// strings short and long, ASCII and not (astral characters included), booleans and null.
const plain: fc.Arbitrary<number | string | boolean | null> = fc.oneof(
  fc.integer({ min: -40, max: 300 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, -0x80, -0x81, -0x8000, -0x8001, -0x80000000, -0x80000001, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.boolean(),
  fc.constant(null),
);
const key: fc.Arbitrary<number | string | boolean> = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 40 }), fc.boolean());

describe("a key group encoded directly", () => {
  it("reads back as the general path's snapshot, for value, list and map state", () => {
    const writer = new DirectKeyGroupWriter();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, plain)),
        fc.array(fc.tuple(key, fc.array(plain, { maxLength: 4 }))),
        fc.array(fc.tuple(key, fc.array(fc.tuple(key, plain), { maxLength: 4 }))),
        (values, lists, maps) => {
          const value = new StateTable("v", "value", false, 2);
          for (const [k, v] of values) value.groupForWrite(1).set(k, v);
          const list = new StateTable("l", "list", false, 2);
          for (const [k, v] of lists) list.groupForWrite(1).set(k, v);
          const map = new StateTable("m", "map", false, 2);
          for (const [k, pairs] of maps) map.groupForWrite(1).set(k, new Map(pairs));
          for (const table of [value, list, map]) {
            expect(directWay(writer, table, 1, 9)).toEqual(generalWay(table, 1, 9));
            expect(directWay(writer, table, 0, 8)).toBeNull();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("leaves a table out when all its lists and maps are empty, and the group when no table is left", () => {
    const list = new StateTable("l", "list", false, 1);
    list.groupForWrite(0).set("a", []);
    const count = new StateTable("c", "value", false, 1);
    count.groupForWrite(0).set("a", 3);
    const writer = new DirectKeyGroupWriter();
    expect(writer.encode(4, 0, [list])).toBeNull();
    const bytes = writer.encode(4, 0, [list, count]);
    expect(keyGroupFromDirect(packr.unpack(bytes!), "test")).toEqual({ keyGroup: 4, tables: [{ name: "c", kind: "value", ttl: false, entries: [["a", 3]] }] });
  });

  it("gives up on what is not plain: objects, undefined, bigints, object keys, lone surrogates", () => {
    const writer = new DirectKeyGroupWriter();
    const notPlain: [unknown, unknown][] = [
      [1, { n: 1 }],
      [1, [1, 2]],
      [1, undefined],
      [1, 5n],
      [1, new Date(0)],
      [`\u0000${JSON.stringify({ id: 1 })}`, 1],
      [5n, 1],
      ["\uD800x", 1],
      [1, "x\uDC00"],
    ];
    for (const [k, v] of notPlain) {
      const table = new StateTable("v", "value", false, 1);
      table.groupForWrite(0).set(1000, 1);
      table.groupForWrite(0).set(k, v);
      expect(writer.encode(0, 0, [table]), `${String(k)} → ${String(v)}`).toBeUndefined();
    }
    const list = new StateTable("l", "list", false, 1);
    list.groupForWrite(0).set(1, [1, { n: 2 }]);
    expect(writer.encode(0, 0, [list])).toBeUndefined();
  });

  it("restores through the subtask snapshot, mixed with key groups the general way encoded", async () => {
    const range = keyGroupRangeFor(0, 1, 16);
    const backend = new HeapKeyedStateBackend({ maxParallelism: 16, keyGroupRange: range });
    const count = backend.getState(new ValueStateDescriptor<number>("count", 0));
    const names = backend.getListState(new ListStateDescriptor<string>("names"));
    const seen = backend.getMapState(new MapStateDescriptor<string, boolean>("seen"));
    for (let i = 0; i < 2000; i++) {
      backend.setCurrentKey(i % 300);
      count.update(count.value()! + i);
      if (i % 7 === 0) names.add(`n${i}é`);
      seen.put(`s${i % 5}`, i % 2 === 0);
    }
    const boxes = backend.getState(new ValueStateDescriptor<{ n: number }>("boxes"));
    backend.setCurrentKey(42);
    boxes.update({ n: 1 }); // an object: key 42's group goes the general way, the others directly
    const expected = packr.unpack(packr.pack(backend.snapshot())) as KeyGroupStateSnapshot[];
    const parts = await backend.beginSnapshot().finish();
    expect(parts.filter((part) => Array.isArray(packr.unpack(part))).length).toBeGreaterThan(0);
    expect(parts.filter((part) => !Array.isArray(packr.unpack(part))).length).toBe(1);
    const decoded = decodeSubtaskSnapshot(encodeWithKeyedParts(encodeOperatorSnapshots([{ uid: "op" }]), [[0, parts]]), "test snapshot");
    expect(decoded.operators[0].keyed).toEqual(expected);
    const fresh = new HeapKeyedStateBackend({ maxParallelism: 16, keyGroupRange: range });
    fresh.restore(decoded.operators[0].keyed!);
    const restored = fresh.getState(new ValueStateDescriptor<number>("count", 0));
    for (let k = 0; k < 300; k++) {
      backend.setCurrentKey(k);
      fresh.setCurrentKey(k);
      expect(restored.value()).toBe(count.value());
    }
  });
});
