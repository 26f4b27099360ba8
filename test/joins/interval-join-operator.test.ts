// The interval join operator driven by traces: records and watermarks on each input in a fixed
// order, and exactly what it emits. Covers bounds, lateness, the combined watermark and cleanup.

import { describe, expect, it } from "vitest";
import { IntervalJoinOperator, type IntervalJoinSpec } from "../../src/joins/interval-join-operator.ts";
import type { ProcessJoinContext } from "../../src/joins/process-join-function.ts";
import type { Collector } from "../../src/index.ts";
import { harness, left, right, watermark } from "./operator-harness.ts";

interface Rec {
  k: string;
  id: string;
}
const rec = (k: string, id: string): Rec => ({ k, id });

/** Emits "leftId+rightId" for each pair, and checks the context's timestamps on the way. */
const pairs = {
  processElement(l: Rec, r: Rec, ctx: ProcessJoinContext, out: Collector<string>): void {
    expect(ctx.getTimestamp()).toBe(Math.max(ctx.getLeftTimestamp(), ctx.getRightTimestamp()));
    out.collect(`${l.id}+${r.id}`);
  },
};

function joinOperator(spec: IntervalJoinSpec) {
  const key = (r: unknown) => (r as Rec).k;
  return new IntervalJoinOperator<Rec, Rec, string>(key, key, spec, pairs);
}

const emittedRecord = (value: string, timestamp: number) => ({ kind: "record", value, timestamp });
const emittedWatermark = (timestamp: number) => ({ kind: "watermark", timestamp });

describe("IntervalJoinOperator traces", () => {
  it("joins each record with the other side's records of the same key within [left + lower, left + upper], at the larger timestamp", async () => {
    const h = await harness(joinOperator({ lowerBound: -1, upperBound: 2 }));
    expect(
      h.run([
        left(rec("k", "a1"), 5),
        right(rec("k", "b1"), 4), // 4 ∈ [4, 7]
        right(rec("x", "bx"), 5), // another key: never joins a1
        right(rec("k", "b2"), 8), // 8 ∉ [4, 7]
        left(rec("k", "a2"), 7), // [6, 9] holds b2
        right(rec("k", "b3"), 3), // out of order: needs a left in [1, 4]; a1 (5) is not
        left(rec("k", "a3"), 4), // [3, 6] holds b1 and b3, joined in timestamp order
      ]),
    ).toEqual([emittedRecord("a1+b1", 5), emittedRecord("a2+b2", 8), emittedRecord("a3+b3", 4), emittedRecord("a3+b1", 4)]);
  });

  it("forwards the minimum of both inputs' watermarks, only when it rises", async () => {
    const h = await harness(joinOperator({ lowerBound: 0, upperBound: 0 }));
    expect(
      h.run([watermark(0, 6), watermark(1, 10), watermark(0, 12), watermark(1, 9), watermark(0, 20), watermark(1, 15), watermark(1, Infinity), watermark(0, Infinity)]),
    ).toEqual([emittedWatermark(6), emittedWatermark(10), emittedWatermark(15), emittedWatermark(20), emittedWatermark(Infinity)]);
  });

  it("drops a record whose timestamp is behind the combined watermark, and it joins nothing", async () => {
    const h = await harness(joinOperator({ lowerBound: -10, upperBound: 10 }));
    const out = h.run([
      left(rec("k", "a1"), 20),
      watermark(0, 30),
      watermark(1, 15),
      right(rec("k", "late"), 14), // behind 15: dropped although a1 is still buffered
      right(rec("k", "edge"), 15), // at the watermark: not late
    ]);
    expect(out).toEqual([emittedWatermark(15), emittedRecord("a1+edge", 20)]);
  });

  it("sends late records to the side output of their input when one is set", async () => {
    const h = await harness(joinOperator({ lowerBound: -10, upperBound: 10, leftLateTag: "late-left", rightLateTag: "late-right" }));
    const out = h.run([watermark(0, 50), watermark(1, 50), left(rec("k", "a"), 49), right(rec("k", "b"), 40), left(rec("k", "c"), 50)]);
    expect(out).toEqual([
      emittedWatermark(50),
      { kind: "side", tag: "late-left", value: rec("k", "a"), timestamp: 49 },
      { kind: "side", tag: "late-right", value: rec("k", "b"), timestamp: 40 },
    ]);
  });

  it("keeps a record only until the watermark passes the last time it could match, then its state and timers are gone", async () => {
    const h = await harness(joinOperator({ lowerBound: -5, upperBound: 10 }));
    h.run([left(rec("k", "a"), 100), right(rec("k", "b"), 100)]);
    expect(h.state.size("interval-join-left")).toBe(1);
    expect(h.state.size("interval-join-right")).toBe(1);
    // b can match lefts in [90, 105]: once the watermark reaches 105 no such left can come.
    h.run([watermark(0, 105), watermark(1, 105)]);
    expect(h.state.size("interval-join-right")).toBe(0);
    expect(h.state.size("interval-join-left")).toBe(1);
    // a can match rights in [95, 110].
    expect(h.run([right(rec("k", "b2"), 110)])).toEqual([emittedRecord("a+b2", 110)]);
    h.run([watermark(0, 110), watermark(1, 110)]);
    expect(h.state.size("interval-join-left")).toBe(0);
    h.run([watermark(0, Infinity), watermark(1, Infinity)]);
    expect(h.state.size("interval-join-right")).toBe(0);
    expect(h.timers.size).toBe(0);
  });

  it("cleans up as well with negative bounds and with bounds above zero", async () => {
    for (const spec of [
      { lowerBound: -30, upperBound: -10 },
      { lowerBound: 10, upperBound: 30 },
    ]) {
      const h = await harness(joinOperator(spec));
      const out = h.run([
        left(rec("k", "a"), 100),
        right(rec("k", "before"), 80),
        right(rec("k", "after"), 120),
        watermark(0, Infinity),
        watermark(1, Infinity),
      ]);
      const expected = spec.lowerBound < 0 ? emittedRecord("a+before", 100) : emittedRecord("a+after", 120);
      expect(out).toEqual([expected, emittedWatermark(Infinity)]);
      expect(h.state.size("interval-join-left") + h.state.size("interval-join-right")).toBe(0);
      expect(h.timers.size).toBe(0);
    }
  });

  it("fails on a record without a timestamp, saying how to give it one", async () => {
    const h = await harness(joinOperator({ lowerBound: 0, upperBound: 0 }));
    expect(() => h.run([left(rec("k", "a"), undefined)])).toThrow("an interval join needs event-time timestamps on both inputs");
  });

  it("refuses a lower bound above the upper bound", () => {
    expect(() => joinOperator({ lowerBound: 1, upperBound: 0 })).toThrow("the lower bound 1 ms is above the upper bound 0 ms");
  });
});
