// Session window assigners (Flink's four): each element opens a window [t, t + gap); windows of
// a key that overlap or touch merge into one session. The gap is fixed or computed per element.
// Pure: event time or processing time comes in as arguments.

import { MergingWindowAssigner, requireTimestamp, type WindowAssignerContext } from "./assigners.ts";
import type { Trigger } from "./trigger.ts";
import { EventTimeTrigger, ProcessingTimeTrigger } from "./triggers.ts";
import { TimeWindow, mergeTimeWindows, type MergeCallback } from "./windows.ts";

/** Computes the session gap (ms, > 0) for an element (Flink's SessionWindowTimeGapExtractor). */
export type SessionWindowTimeGapExtractor<T> = (element: T) => number;

function checkGap(name: string, gap: number): void {
  if (!(gap > 0) || !Number.isFinite(gap)) throw new Error(`${name}: the session gap must be a positive number of ms, got ${gap}`);
}

function dynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>, element: T): number {
  const gap = extractor(element);
  if (!(gap > 0)) throw new Error(`dynamic session gap must be > 0 ms, the extractor returned ${gap}`);
  return gap;
}

/**
 * Event-time sessions: a key's session ends after `gap` ms of event time without elements.
 * @example
 * clicks.keyBy((c) => c.user).window(EventTimeSessionWindows.withGap(30 * 60_000)).process(new SessionSummary());
 */
export class EventTimeSessionWindows<T = unknown> extends MergingWindowAssigner<T, TimeWindow> {
  private constructor(private readonly gap: SessionWindowTimeGapExtractor<T>, private readonly description: string) {
    super();
  }
  static withGap(gapMs: number): EventTimeSessionWindows<unknown> {
    checkGap("EventTimeSessionWindows.withGap", gapMs);
    return new EventTimeSessionWindows<unknown>(() => gapMs, `EventTimeSessionWindows(${gapMs})`);
  }
  /** The gap per element, e.g. shorter sessions for bots. */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>((element) => dynamicGap(extractor, element), "DynamicEventTimeSessionWindows");
  }
  assignWindows(element: T, timestamp: number | undefined, _context: WindowAssignerContext): TimeWindow[] {
    const time = requireTimestamp(timestamp, this.description);
    return [new TimeWindow(time, time + this.gap(element))];
  }
  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    mergeTimeWindows(windows, callback);
  }
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
  override toString(): string {
    return this.description;
  }
}

/** Processing-time sessions: a key's session ends after `gap` ms of wall-clock time without elements. */
export class ProcessingTimeSessionWindows<T = unknown> extends MergingWindowAssigner<T, TimeWindow> {
  private constructor(private readonly gap: SessionWindowTimeGapExtractor<T>, private readonly description: string) {
    super();
  }
  static withGap(gapMs: number): ProcessingTimeSessionWindows<unknown> {
    checkGap("ProcessingTimeSessionWindows.withGap", gapMs);
    return new ProcessingTimeSessionWindows<unknown>(() => gapMs, `ProcessingTimeSessionWindows(${gapMs})`);
  }
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>((element) => dynamicGap(extractor, element), "DynamicProcessingTimeSessionWindows");
  }
  assignWindows(element: T, _timestamp: number | undefined, context: WindowAssignerContext): TimeWindow[] {
    const now = context.getCurrentProcessingTime();
    return [new TimeWindow(now, now + this.gap(element))];
  }
  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    mergeTimeWindows(windows, callback);
  }
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
  override toString(): string {
    return this.description;
  }
}
