// Window assigners, pure: Flink's window-start rule (with offsets and negative timestamps),
// tumbling, sliding, session and global windows, default triggers and argument checks.
// Expected windows are written out by hand or checked against containment, never read back from the code.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindow,
  GlobalWindows,
  NeverTrigger,
  ProcessingTimeSessionWindows,
  ProcessingTimeTrigger,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TimeWindow,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  getWindowStartWithOffset,
  isMergingWindowAssigner,
  type WindowAssignerContext,
} from "../../src/index.ts";

const at = (now: number): WindowAssignerContext => ({ getCurrentProcessingTime: () => now });
const noClock = at(Number.NaN);
const bounds = (windows: readonly TimeWindow[]) => windows.map((w) => [w.start, w.end]);

describe("the window start rule", () => {
  it("gives Flink's starts for windows of 7 with offsets 0, 3 and -2", () => {
    // [0, 7), [7, 14), …
    expect([1, 6, 7, 8].map((t) => getWindowStartWithOffset(t, 0, 7))).toEqual([0, 0, 7, 7]);
    // [-4, 3), [3, 10), [10, 17), …
    expect([1, 2, 3, 9, 10].map((t) => getWindowStartWithOffset(t, 3, 7))).toEqual([-4, -4, 3, 3, 10]);
    // [-2, 5), [5, 12), [12, 19), …
    expect([1, -2, 3, 4, 7, 12].map((t) => getWindowStartWithOffset(t, -2, 7))).toEqual([-2, -2, -2, -2, 5, 12]);
  });

  it("aligns days to a time zone with a negative offset (UTC+8 midnight)", () => {
    const day = 24 * 3600 * 1000;
    // 2016-08-11 07:54:08.450 UTC is 15:54 in UTC+8; that day began at 2016-08-10 16:00 UTC.
    expect(getWindowStartWithOffset(Date.UTC(2016, 7, 11, 7, 54, 8, 450), -8 * 3600 * 1000, day)).toBe(Date.UTC(2016, 7, 10, 16));
  });

  it("puts negative timestamps in the window that contains them", () => {
    // Windows of 7 from 0 going back: [-7, 0), [-14, -7).
    expect([-1, -7, -8, -14, -15].map((t) => getWindowStartWithOffset(t, 0, 7))).toEqual([-7, -7, -14, -14, -21]);
  });

  it("equals ts - ((ts - offset + size) % size) wherever that formula's remainder is non-negative", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: -9_999, max: 9_999 }), (size, ts, rawOffset) => {
        const offset = rawOffset % size;
        fc.pre(ts - offset + size >= 0);
        expect(getWindowStartWithOffset(ts, offset, size)).toBe(ts - ((ts - offset + size) % size));
      }),
    );
  });

  it("always returns the start of the one window [start, start + size) that contains ts, aligned to the offset", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: -9_999, max: 9_999 }), (size, ts, rawOffset) => {
        const offset = rawOffset % size;
        const start = getWindowStartWithOffset(ts, offset, size);
        expect(start <= ts && ts < start + size).toBe(true);
        expect(Math.abs((start - offset) % size)).toBe(0);
      }),
    );
  });
});

describe("tumbling windows", () => {
  it("assign one window of the size by event time", () => {
    const assigner = TumblingEventTimeWindows.of(5000);
    expect([0, 4999, 5000, -1].map((t) => bounds(assigner.assignWindows("x", t, noClock)))).toEqual([[[0, 5000]], [[0, 5000]], [[5000, 10000]], [[-5000, 0]]]);
  });

  it("shift windows by the offset", () => {
    const assigner = TumblingEventTimeWindows.of(5000, 100);
    expect([100, 5099, 5100, 0].map((t) => bounds(assigner.assignWindows("x", t, noClock)))).toEqual([[[100, 5100]], [[100, 5100]], [[5100, 10100]], [[-4900, 100]]]);
  });

  it("use the processing time, not the timestamp, in processing time", () => {
    const assigner = TumblingProcessingTimeWindows.of(1000);
    expect(bounds(assigner.assignWindows("x", 123_456, at(2500)))).toEqual([[2000, 3000]]);
    expect(assigner.isEventTime()).toBe(false);
    expect(assigner.getDefaultTrigger()).toBe(ProcessingTimeTrigger.create());
  });

  it("need a timestamp in event time, a positive size and |offset| < size", () => {
    const assigner = TumblingEventTimeWindows.of(1000);
    expect(() => assigner.assignWindows("x", undefined, noClock)).toThrow(/no event-time timestamp.*assignTimestampsAndWatermarks/);
    expect(() => TumblingEventTimeWindows.of(0)).toThrow(/positive/);
    expect(() => TumblingEventTimeWindows.of(1000, 1000)).toThrow(/abs\(offset\) < size/);
    expect(() => TumblingProcessingTimeWindows.of(1000, -1000)).toThrow(/abs\(offset\) < size/);
    expect(assigner.isEventTime()).toBe(true);
    expect(assigner.getDefaultTrigger()).toBe(EventTimeTrigger.create());
  });
});

describe("sliding windows", () => {
  it("assign size/slide windows, latest start first", () => {
    const assigner = SlidingEventTimeWindows.of(5000, 1000);
    expect(bounds(assigner.assignWindows("x", 0, noClock))).toEqual([
      [0, 5000],
      [-1000, 4000],
      [-2000, 3000],
      [-3000, 2000],
      [-4000, 1000],
    ]);
    expect(bounds(assigner.assignWindows("x", 5000, noClock))).toEqual([
      [5000, 10000],
      [4000, 9000],
      [3000, 8000],
      [2000, 7000],
      [1000, 6000],
    ]);
  });

  it("put every element in exactly the windows of the grid that contain it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: -5_000, max: 5_000 }), fc.integer({ min: 0, max: 49 }), (slide, factor, ts, rawOffset) => {
        const size = slide * factor;
        const offset = rawOffset % slide;
        const assigned = bounds(SlidingEventTimeWindows.of(size, slide, offset).assignWindows("x", ts, noClock));
        // Brute force: every window start offset + k * slide near ts, kept if it contains ts.
        const expected: number[][] = [];
        for (let k = Math.floor((ts - size - offset) / slide) - 2; k * slide + offset <= ts + slide; k++) {
          const start = k * slide + offset;
          if (start <= ts && ts < start + size) expected.push([start, start + size]);
        }
        expect(assigned.length).toBe(factor);
        expect([...assigned].sort((a, b) => a[0] - b[0])).toEqual(expected);
      }),
    );
  });

  it("with a size that is not a multiple of the slide, give floor or ceil of size/slide windows", () => {
    const assigner = SlidingEventTimeWindows.of(5000, 3000);
    const counts = new Set([0, 1000, 2000, 2999, 3000, 4500].map((t) => assigner.assignWindows("x", t, noClock).length));
    expect([...counts].sort()).toEqual([1, 2]);
  });

  it("use processing time when they are processing-time windows", () => {
    expect(bounds(SlidingProcessingTimeWindows.of(2000, 1000).assignWindows("x", undefined, at(1500)))).toEqual([
      [1000, 3000],
      [0, 2000],
    ]);
  });

  it("check their arguments", () => {
    expect(() => SlidingEventTimeWindows.of(1000, 0)).toThrow(/positive/);
    expect(() => SlidingEventTimeWindows.of(1000, 100, 100)).toThrow(/abs\(offset\) < slide/);
  });
});

describe("session windows", () => {
  it("open [t, t + gap) per element and merge", () => {
    const assigner = EventTimeSessionWindows.withGap(30);
    expect(bounds(assigner.assignWindows("x", 100, noClock))).toEqual([[100, 130]]);
    expect(isMergingWindowAssigner(assigner)).toBe(true);
    expect(assigner.getDefaultTrigger()).toBe(EventTimeTrigger.create());
    expect(bounds(ProcessingTimeSessionWindows.withGap(30).assignWindows("x", 100, at(7)))).toEqual([[7, 37]]);
  });

  it("with a dynamic gap, take the gap from the element and reject a gap <= 0", () => {
    const assigner = EventTimeSessionWindows.withDynamicGap<{ gap: number }>((e) => e.gap);
    expect(bounds(assigner.assignWindows({ gap: 5 }, 10, noClock))).toEqual([[10, 15]]);
    expect(() => assigner.assignWindows({ gap: 0 }, 10, noClock)).toThrow(/> 0/);
    expect(bounds(ProcessingTimeSessionWindows.withDynamicGap<number>((g) => g).assignWindows(3, undefined, at(1)))).toEqual([[1, 4]]);
    expect(() => EventTimeSessionWindows.withGap(0)).toThrow(/positive/);
  });
});

describe("global windows", () => {
  it("put everything in the one global window, whose default trigger never fires", () => {
    const assigner = GlobalWindows.create();
    expect(assigner.assignWindows()).toEqual([GlobalWindow.get()]);
    expect(GlobalWindow.get().maxTimestamp()).toBe(Infinity);
    expect(assigner.getDefaultTrigger()).toBe(NeverTrigger.create());
    expect(assigner.isEventTime()).toBe(false);
  });
});

describe("time windows", () => {
  it("end at end - 1, intersect when they overlap or touch, and cover both", () => {
    const a = new TimeWindow(0, 10);
    expect(a.maxTimestamp()).toBe(9);
    expect(a.intersects(new TimeWindow(10, 20))).toBe(true);
    expect(a.intersects(new TimeWindow(11, 20))).toBe(false);
    expect(bounds([a.cover(new TimeWindow(5, 30))])).toEqual([[0, 30]]);
    expect(new TimeWindow(0, 10).id).toBe(a.id);
    expect(new TimeWindow(0, 11).id).not.toBe(a.id);
    expect(() => new TimeWindow(5, 5)).toThrow(/end > start/);
  });
});
