// Triggers as traces: elements, watermarks and processing time for one window, and the result of
// every trigger call. Expected lines follow Flink's trigger semantics, worked out by hand.

import { describe, expect, it } from "vitest";
import {
  ContinuousEventTimeTrigger,
  ContinuousProcessingTimeTrigger,
  CountTrigger,
  EventTimeTrigger,
  GlobalWindow,
  NeverTrigger,
  ProcessingTimeTrigger,
  PurgingTrigger,
  TimeWindow,
  Trigger,
  TriggerResult,
  isFire,
  isPurge,
  type TriggerContext,
} from "../../src/index.ts";
import { FakeTriggerContext, clear, element, processingTime, runTriggerTrace, watermark } from "./trigger-trace.ts";

const W0_10 = new TimeWindow(0, 10); // maxTimestamp 9

describe("trigger results", () => {
  it("FIRE and FIRE_AND_PURGE fire; PURGE and FIRE_AND_PURGE purge; CONTINUE does neither", () => {
    const all = [TriggerResult.CONTINUE, TriggerResult.FIRE, TriggerResult.PURGE, TriggerResult.FIRE_AND_PURGE];
    expect(all.map(isFire)).toEqual([false, true, false, true]);
    expect(all.map(isPurge)).toEqual([false, false, true, true]);
  });
});

describe("EventTimeTrigger", () => {
  const trigger = EventTimeTrigger.create();

  it("registers the window's end and fires when the watermark reaches it, not before", () => {
    expect(runTriggerTrace(trigger, W0_10, [element(3), watermark(5), element(7), watermark(8), watermark(9), watermark(20)])).toEqual([
      "element@3 → CONTINUE",
      "element@7 → CONTINUE",
      "event-time@9 → FIRE",
    ]);
  });

  it("fires at once for an element of a window the watermark has already passed (a late firing)", () => {
    expect(runTriggerTrace(trigger, W0_10, [watermark(15), element(4), element(2)])).toEqual(["element@4 → FIRE", "element@2 → FIRE"]);
  });

  it("clear deletes the timer it registered", () => {
    const ctx = new FakeTriggerContext();
    expect(runTriggerTrace(trigger, W0_10, [element(3), clear, watermark(100)], ctx)).toEqual(["element@3 → CONTINUE"]);
    expect(ctx.eventTimers.size).toBe(0);
  });

  it("on a merge registers the merged window's end only while the watermark is before it", () => {
    const before = new FakeTriggerContext();
    before.watermark = 5;
    trigger.onMerge(W0_10, before);
    expect([...before.eventTimers]).toEqual([9]);
    const after = new FakeTriggerContext();
    after.watermark = 9;
    trigger.onMerge(W0_10, after);
    expect([...after.eventTimers]).toEqual([]);
  });
});

describe("ProcessingTimeTrigger", () => {
  const trigger = ProcessingTimeTrigger.create();

  it("fires when processing time reaches the window's end; watermarks do nothing", () => {
    expect(runTriggerTrace(trigger, W0_10, [processingTime(1), element(), watermark(100), processingTime(8), processingTime(9)])).toEqual([
      "element@undefined → CONTINUE",
      "processing-time@9 → FIRE",
    ]);
  });

  it("on a merge registers the end only if processing time has not reached it", () => {
    const ctx = new FakeTriggerContext();
    ctx.now = 3;
    trigger.onMerge(W0_10, ctx);
    expect([...ctx.processingTimers]).toEqual([9]);
  });
});

describe("CountTrigger", () => {
  it("fires every n elements and starts counting again", () => {
    const steps = [1, 2, 3, 4, 5, 6, 7].map((t) => element(t));
    expect(runTriggerTrace(CountTrigger.of(3), GlobalWindow.get(), steps).map(resultOf)).toEqual([
      "CONTINUE",
      "CONTINUE",
      "FIRE",
      "CONTINUE",
      "CONTINUE",
      "FIRE",
      "CONTINUE",
    ]);
  });

  it("merging windows add their counts", () => {
    const ctx = new FakeTriggerContext();
    ctx.mergedStates = [new Map([["count-trigger.count", 1]]), new Map([["count-trigger.count", 1]])];
    const trigger = CountTrigger.of(3);
    trigger.onMerge(W0_10, ctx);
    expect(runTriggerTrace(trigger, W0_10, [element(1)], ctx)).toEqual(["element@1 → FIRE"]);
  });

  it("clear forgets the count", () => {
    const trigger = CountTrigger.of(2);
    expect(runTriggerTrace(trigger, W0_10, [element(1), clear, element(2), element(3)]).map(resultOf)).toEqual(["CONTINUE", "CONTINUE", "FIRE"]);
  });

  it("rejects a count below one", () => {
    expect(() => CountTrigger.of(0)).toThrow(/positive integer/);
  });
});

describe("ContinuousEventTimeTrigger", () => {
  const window = new TimeWindow(0, 20); // maxTimestamp 19

  it("fires every interval of event time from the first element, and at the window's end", () => {
    expect(runTriggerTrace(ContinuousEventTimeTrigger.of(5), window, [element(2), watermark(4), watermark(5), watermark(12), element(13), watermark(19)])).toEqual([
      "element@2 → CONTINUE",
      "event-time@5 → FIRE",
      "event-time@10 → FIRE",
      "element@13 → CONTINUE",
      "event-time@15 → FIRE",
      "event-time@19 → FIRE",
    ]);
  });

  it("fires every interval it skips when the watermark jumps, and never past the window's end", () => {
    const ctx = new FakeTriggerContext();
    expect(runTriggerTrace(ContinuousEventTimeTrigger.of(5), window, [element(7), watermark(1000)], ctx)).toEqual([
      "element@7 → CONTINUE",
      "event-time@10 → FIRE",
      "event-time@15 → FIRE",
      "event-time@19 → FIRE",
    ]);
  });

  it("fires at once for a late element, and clear removes its pending fire time", () => {
    expect(runTriggerTrace(ContinuousEventTimeTrigger.of(5), window, [watermark(30), element(17)])).toEqual(["element@17 → FIRE"]);
    const ctx = new FakeTriggerContext();
    runTriggerTrace(ContinuousEventTimeTrigger.of(5), window, [element(1), clear], ctx);
    expect([...ctx.eventTimers]).toEqual([19]); // the end-of-window timer is the window operator's to delete with the window
    expect(ctx.state.size).toBe(0);
  });
});

describe("ContinuousProcessingTimeTrigger", () => {
  it("fires every interval of processing time, aligned to the interval", () => {
    const window = new TimeWindow(0, 100);
    expect(runTriggerTrace(ContinuousProcessingTimeTrigger.of(5), window, [processingTime(3), element(), processingTime(5), processingTime(12), processingTime(30)])).toEqual([
      "element@undefined → CONTINUE",
      "processing-time@5 → FIRE",
      "processing-time@10 → FIRE",
      "processing-time@15 → FIRE",
      "processing-time@20 → FIRE",
      "processing-time@25 → FIRE",
      "processing-time@30 → FIRE",
    ]);
  });

  it("its last firing is at the window's end", () => {
    expect(runTriggerTrace(ContinuousProcessingTimeTrigger.of(4), W0_10, [processingTime(1), element(), processingTime(9)])).toEqual([
      "element@undefined → CONTINUE",
      "processing-time@4 → FIRE",
      "processing-time@8 → FIRE",
      "processing-time@9 → FIRE",
    ]);
  });

  it("on a window whose end processing time has already passed, fires once and stops (no timer loop)", () => {
    expect(runTriggerTrace(ContinuousProcessingTimeTrigger.of(5), W0_10, [processingTime(50), element(), processingTime(60), processingTime(70)])).toEqual([
      "element@undefined → CONTINUE",
      "processing-time@9 → FIRE",
    ]);
  });
});

describe("PurgingTrigger", () => {
  it("turns every FIRE of the inner trigger into FIRE_AND_PURGE", () => {
    const steps = [1, 2, 3, 4].map((t) => element(t));
    expect(runTriggerTrace(PurgingTrigger.of(CountTrigger.of(2)), W0_10, steps).map(resultOf)).toEqual(["CONTINUE", "FIRE_AND_PURGE", "CONTINUE", "FIRE_AND_PURGE"]);
    expect(runTriggerTrace(PurgingTrigger.of(EventTimeTrigger.create()), W0_10, [element(1), watermark(9)])).toEqual(["element@1 → CONTINUE", "event-time@9 → FIRE_AND_PURGE"]);
  });

  it("can merge exactly when its inner trigger can", () => {
    expect(PurgingTrigger.of(EventTimeTrigger.create()).canMerge()).toBe(true);
    expect(PurgingTrigger.of(new FireOnEven()).canMerge()).toBe(false);
  });
});

describe("NeverTrigger (GlobalWindows' default)", () => {
  it("never fires and registers no timer", () => {
    const ctx = new FakeTriggerContext();
    expect(runTriggerTrace(NeverTrigger.create(), GlobalWindow.get(), [element(1), watermark(Infinity), processingTime(1e12)], ctx).map(resultOf)).toEqual(["CONTINUE"]);
    expect(ctx.eventTimers.size + ctx.processingTimers.size).toBe(0);
  });
});

/** A user-defined trigger: fires and purges on elements with an even timestamp. */
class FireOnEven extends Trigger<unknown, TimeWindow> {
  onElement(_element: unknown, timestamp: number | undefined, _window: TimeWindow, _ctx: TriggerContext): TriggerResult {
    return timestamp !== undefined && timestamp % 2 === 0 ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE;
  }
}

describe("a user-defined trigger", () => {
  it("needs only onElement: time callbacks continue, and it does not merge unless it says so", () => {
    const trigger = new FireOnEven();
    expect(runTriggerTrace(trigger, W0_10, [element(1), element(2), watermark(100), processingTime(100), element(3)])).toEqual([
      "element@1 → CONTINUE",
      "element@2 → FIRE_AND_PURGE",
      "element@3 → CONTINUE",
    ]);
    expect(trigger.canMerge()).toBe(false);
    expect(() => trigger.onMerge(W0_10, new FakeTriggerContext())).toThrow(/does not support merging/);
  });
});

function resultOf(line: string): string {
  return line.split(" → ")[1];
}
