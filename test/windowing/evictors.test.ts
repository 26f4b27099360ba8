// Evictors, pure: which of a window's elements each keeps, before or after the window function.

import { describe, expect, it } from "vitest";
import { CountEvictor, DeltaEvictor, GlobalWindow, TimeEvictor, type EvictorContext, type TimestampedValue } from "../../src/index.ts";

const ctx: EvictorContext = { getCurrentProcessingTime: () => 0, getCurrentWatermark: () => 0 };
const window = GlobalWindow.get();
const elements = (...pairs: [number, number | undefined][]): TimestampedValue<number>[] => pairs.map(([value, timestamp]) => ({ value, timestamp }));
const values = (kept: readonly TimestampedValue<number>[]) => kept.map((e) => e.value);

describe("CountEvictor", () => {
  const five = elements([1, 10], [2, 20], [3, 30], [4, 40], [5, 50]);

  it("keeps the last n elements before the function by default", () => {
    const evictor = CountEvictor.of<number>(3);
    expect(values(evictor.evictBefore(five, window, ctx))).toEqual([3, 4, 5]);
    expect(values(evictor.evictAfter(five, window, ctx))).toEqual([1, 2, 3, 4, 5]);
  });

  it("evicts after the function when asked, and keeps everything when there are at most n", () => {
    const evictor = CountEvictor.of<number>(2, true);
    expect(values(evictor.evictBefore(five, window, ctx))).toEqual([1, 2, 3, 4, 5]);
    expect(values(evictor.evictAfter(five, window, ctx))).toEqual([4, 5]);
    expect(values(CountEvictor.of<number>(9).evictBefore(five, window, ctx))).toEqual([1, 2, 3, 4, 5]);
  });

  it("does not change the elements it is given", () => {
    const copy = five.map((e) => ({ ...e }));
    CountEvictor.of<number>(1).evictBefore(five, window, ctx);
    expect(five).toEqual(copy);
  });
});

describe("TimeEvictor", () => {
  it("keeps the elements newer than the newest timestamp minus the size", () => {
    const evictor = TimeEvictor.of<number>(20);
    // newest 50, cutoff 30: timestamps <= 30 go.
    expect(values(evictor.evictBefore(elements([1, 50], [2, 10], [3, 30], [4, 31], [5, 45]), window, ctx))).toEqual([1, 4, 5]);
  });

  it("keeps everything when the elements have no timestamps (processing time)", () => {
    expect(values(TimeEvictor.of<number>(1).evictBefore(elements([1, undefined], [2, undefined]), window, ctx))).toEqual([1, 2]);
  });

  it("evicts after the function when asked", () => {
    const evictor = TimeEvictor.of<number>(5, true);
    const input = elements([1, 0], [2, 10]);
    expect(values(evictor.evictBefore(input, window, ctx))).toEqual([1, 2]);
    expect(values(evictor.evictAfter(input, window, ctx))).toEqual([2]);
  });
});

describe("DeltaEvictor", () => {
  it("keeps the elements whose delta to the last element is below the threshold", () => {
    const evictor = DeltaEvictor.of<number>(5, (a, b) => Math.abs(a - b));
    // last is 20: deltas 19, 10, 4, 5, 0.
    expect(values(evictor.evictBefore(elements([1, 1], [10, 2], [16, 3], [15, 4], [20, 5]), window, ctx))).toEqual([16, 20]);
  });

  it("evicts after the function when asked, and handles an empty window", () => {
    const evictor = DeltaEvictor.of<number>(1, (a, b) => Math.abs(a - b), true);
    expect(values(evictor.evictBefore(elements([0, 1], [5, 2]), window, ctx))).toEqual([0, 5]);
    expect(values(evictor.evictAfter(elements([0, 1], [5, 2]), window, ctx))).toEqual([5]);
    expect(evictor.evictAfter([], window, ctx)).toEqual([]);
  });
});
