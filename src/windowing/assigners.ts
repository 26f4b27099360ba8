// Window assigners (Flink's): which windows an element belongs to, and each assigner's default
// trigger. Tumbling and sliding windows in event and processing time, and global windows; the
// merging (session) assigners are in session-assigners.ts. Pure: time comes in as arguments.

import type { Trigger } from "./trigger.ts";
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger } from "./triggers.ts";
import type { StateSerializer } from "../core/state-descriptors.ts";
import { GlobalWindow, TimeWindow, builtInWindowSerializer, getWindowStartWithOffset, type MergeCallback, type Window } from "./windows.ts";

/** What an assigner may ask while assigning an element. */
export interface WindowAssignerContext {
  /** Processing time (the injected clock). */
  getCurrentProcessingTime(): number;
}

/**
 * Assigns each element to zero or more windows. Subclass it for a custom assigner.
 * `timestamp` is the element's event time (undefined when it has none).
 */
export abstract class WindowAssigner<T, W extends Window> {
  abstract assignWindows(element: T, timestamp: number | undefined, context: WindowAssignerContext): W[];
  /** The trigger used when `trigger()` is not called on the windowed stream. */
  abstract getDefaultTrigger(): Trigger<T, W>;
  /** Event-time windows are late once the watermark passes their end (+ allowed lateness). */
  abstract isEventTime(): boolean;
  /** How this assigner's windows travel in snapshots; override it for a window type of your own. */
  getWindowSerializer(): StateSerializer<W> {
    // The built-in one restores TimeWindows and the GlobalWindow, the only windows the built-in assigners make.
    return builtInWindowSerializer as StateSerializer<W>;
  }
  toString(): string {
    return this.constructor.name;
  }
}

/** An assigner whose windows can merge (session windows): the window operator keeps a merging window set. */
export abstract class MergingWindowAssigner<T, W extends Window> extends WindowAssigner<T, W> {
  /** Reports, through `callback`, every group of `windows` that merges into one window. */
  abstract mergeWindows(windows: readonly W[], callback: MergeCallback<W>): void;
}

export function isMergingWindowAssigner<T, W extends Window>(assigner: WindowAssigner<T, W>): assigner is MergingWindowAssigner<T, W> {
  return assigner instanceof MergingWindowAssigner;
}

/** Flink's message for an event-time window assigner given a record with no timestamp. */
export function requireTimestamp(timestamp: number | undefined, assigner: string): number {
  if (timestamp === undefined) {
    throw new Error(`${assigner}: a record has no event-time timestamp. Did you forget assignTimestampsAndWatermarks(...) before the window, or mean a processing-time assigner?`);
  }
  return timestamp;
}

function checkTumbling(name: string, size: number, offset: number): void {
  if (!(size > 0) || !Number.isFinite(size)) throw new Error(`${name}: the size must be a positive number of ms, got ${size}`);
  if (!(Math.abs(offset) < size)) throw new Error(`${name} parameters must satisfy abs(offset) < size, got offset ${offset} and size ${size}`);
}

function checkSliding(name: string, size: number, slide: number, offset: number): void {
  if (!(size > 0) || !Number.isFinite(size) || !(slide > 0) || !Number.isFinite(slide)) {
    throw new Error(`${name}: size and slide must be positive numbers of ms, got size ${size} and slide ${slide}`);
  }
  if (!(Math.abs(offset) < slide)) throw new Error(`${name} parameters must satisfy abs(offset) < slide, got offset ${offset} and slide ${slide}`);
}

/**
 * The windows of one fixed-size assigner by start. Consecutive elements mostly fall in the same
 * few windows: reusing the instances saves an allocation and an id string per element and window.
 */
class TimeWindowCache {
  private readonly windows = new Map<number, TimeWindow>();
  constructor(private readonly size: number) {}
  get(start: number): TimeWindow {
    let window = this.windows.get(start);
    if (window === undefined) {
      // Bounded: old windows are simply rebuilt if they come up again.
      if (this.windows.size >= 1024) this.windows.clear();
      window = new TimeWindow(start, start + this.size);
      this.windows.set(start, window);
    }
    return window;
  }
}

/** One window of `size` starting at `getWindowStartWithOffset(time, offset, size)`. */
function tumblingWindow(time: number, size: number, offset: number, cache: TimeWindowCache): TimeWindow[] {
  return [cache.get(getWindowStartWithOffset(time, offset, size))];
}

/** Every window of `size` every `slide` that contains `time`, latest start first (as Flink lists them). */
function slidingWindows(time: number, size: number, slide: number, offset: number, cache: TimeWindowCache): TimeWindow[] {
  const windows: TimeWindow[] = [];
  const lastStart = getWindowStartWithOffset(time, offset, slide);
  for (let start = lastStart; start > time - size; start -= slide) windows.push(cache.get(start));
  return windows;
}

/**
 * Non-overlapping event-time windows of `size` ms, shifted by `offset` ms (e.g. −8 h for days in UTC+8).
 * @example
 * stream.keyBy((e) => e.user).window(TumblingEventTimeWindows.of(60_000)).reduce((a, b) => …);
 */
export class TumblingEventTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly cache: TimeWindowCache;
  private constructor(readonly size: number, readonly offset: number) {
    super();
    this.cache = new TimeWindowCache(size);
  }
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    checkTumbling("TumblingEventTimeWindows", size, offset);
    return new TumblingEventTimeWindows(size, offset);
  }
  assignWindows(_element: unknown, timestamp: number | undefined, _context: WindowAssignerContext): TimeWindow[] {
    return tumblingWindow(requireTimestamp(timestamp, "TumblingEventTimeWindows"), this.size, this.offset, this.cache);
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
  override toString(): string {
    return `TumblingEventTimeWindows(${this.size})`;
  }
}

/** Non-overlapping processing-time windows of `size` ms: an element goes to the window of the time it arrives. */
export class TumblingProcessingTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly cache: TimeWindowCache;
  private constructor(readonly size: number, readonly offset: number) {
    super();
    this.cache = new TimeWindowCache(size);
  }
  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    checkTumbling("TumblingProcessingTimeWindows", size, offset);
    return new TumblingProcessingTimeWindows(size, offset);
  }
  assignWindows(_element: unknown, _timestamp: number | undefined, context: WindowAssignerContext): TimeWindow[] {
    return tumblingWindow(context.getCurrentProcessingTime(), this.size, this.offset, this.cache);
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
  override toString(): string {
    return `TumblingProcessingTimeWindows(${this.size})`;
  }
}

/**
 * Event-time windows of `size` ms starting every `slide` ms: each element is in size/slide windows.
 * @example
 * stream.keyBy((e) => e.key).window(SlidingEventTimeWindows.of(4_000, 1_000)).aggregate(countAggregate);
 */
export class SlidingEventTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly cache: TimeWindowCache;
  private constructor(readonly size: number, readonly slide: number, readonly offset: number) {
    super();
    this.cache = new TimeWindowCache(size);
  }
  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    checkSliding("SlidingEventTimeWindows", size, slide, offset);
    return new SlidingEventTimeWindows(size, slide, offset);
  }
  assignWindows(_element: unknown, timestamp: number | undefined, _context: WindowAssignerContext): TimeWindow[] {
    return slidingWindows(requireTimestamp(timestamp, "SlidingEventTimeWindows"), this.size, this.slide, this.offset, this.cache);
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
  override toString(): string {
    return `SlidingEventTimeWindows(${this.size}, ${this.slide})`;
  }
}

/** Processing-time windows of `size` ms starting every `slide` ms. */
export class SlidingProcessingTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly cache: TimeWindowCache;
  private constructor(readonly size: number, readonly slide: number, readonly offset: number) {
    super();
    this.cache = new TimeWindowCache(size);
  }
  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    checkSliding("SlidingProcessingTimeWindows", size, slide, offset);
    return new SlidingProcessingTimeWindows(size, slide, offset);
  }
  assignWindows(_element: unknown, _timestamp: number | undefined, context: WindowAssignerContext): TimeWindow[] {
    return slidingWindows(context.getCurrentProcessingTime(), this.size, this.slide, this.offset, this.cache);
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
  override toString(): string {
    return `SlidingProcessingTimeWindows(${this.size}, ${this.slide})`;
  }
}

/** One window for all elements of a key. Its default trigger never fires: give it one (count windows do). */
export class GlobalWindows extends WindowAssigner<unknown, GlobalWindow> {
  private static readonly instance = new GlobalWindows();
  private constructor() {
    super();
  }
  static create(): GlobalWindows {
    return GlobalWindows.instance;
  }
  assignWindows(_element?: unknown, _timestamp?: number, _context?: WindowAssignerContext): GlobalWindow[] {
    return [GlobalWindow.get()];
  }
  getDefaultTrigger(): Trigger<unknown, GlobalWindow> {
    return NeverTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
}
