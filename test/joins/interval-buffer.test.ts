// The interval join's per-key buffer: sorted timestamp buckets, checked against a plain list of
// (timestamp, record) pairs filtered by brute force.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addRecord, forEachBetween, removeBucket, type IntervalBuffer } from "../../src/joins/interval-buffer.ts";

describe("IntervalBuffer", () => {
  it("finds exactly the records in [from, to], in timestamp order, after any inserts and removals", () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), timestamp: fc.integer({ min: -20, max: 20 }), record: fc.integer() }),
      fc.record({ kind: fc.constant("remove" as const), timestamp: fc.integer({ min: -20, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), fc.integer({ min: -25, max: 25 }), fc.integer({ min: 0, max: 20 }), (operations, from, width) => {
        const buffer: IntervalBuffer = [];
        let flat: { timestamp: number; record: number }[] = [];
        for (const op of operations) {
          if (op.kind === "add") {
            addRecord(buffer, op.timestamp, op.record);
            flat.push({ timestamp: op.timestamp, record: op.record });
          } else {
            expect(removeBucket(buffer, op.timestamp)).toBe(flat.some((e) => e.timestamp === op.timestamp));
            flat = flat.filter((e) => e.timestamp !== op.timestamp);
          }
        }
        const found: { timestamp: number; record: unknown }[] = [];
        forEachBetween(buffer, from, from + width, (record, timestamp) => found.push({ timestamp, record }));
        // Stable sort: records of one timestamp keep their insertion order.
        const expected = flat.filter((e) => e.timestamp >= from && e.timestamp <= from + width).sort((a, b) => a.timestamp - b.timestamp);
        expect(found).toEqual(expected);
        expect(buffer.map((b) => b.timestamp)).toEqual([...new Set(flat.map((e) => e.timestamp))].sort((a, b) => a - b));
      }),
    );
  });
});
