// Evictors (Flink's): drop elements from a window's contents when it fires, before and/or after
// the window function runs. Count, time and delta evictors; each is pure: it receives the
// window's elements in arrival order and returns the ones to keep.

import type { Window } from "./windows.ts";

/** An element of a window's contents with its event time (undefined when it has none). */
export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: number | undefined;
}

export interface EvictorContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
}

/**
 * Removes elements from a firing window. `evictBefore` runs before the window function (which then
 * sees only what is kept), `evictAfter` after it; what is kept stays in the window for later firings.
 * Both receive the elements in arrival order and return the ones to keep.
 */
export interface Evictor<T, W extends Window = Window> {
  evictBefore(elements: readonly TimestampedValue<T>[], window: W, ctx: EvictorContext): TimestampedValue<T>[];
  evictAfter(elements: readonly TimestampedValue<T>[], window: W, ctx: EvictorContext): TimestampedValue<T>[];
}

/** Shared by the built-ins: evict on one side of the window function only. */
abstract class OneSidedEvictor<T> implements Evictor<T, Window> {
  constructor(private readonly doEvictAfter: boolean) {}
  evictBefore(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): TimestampedValue<T>[] {
    return this.doEvictAfter ? [...elements] : this.evict(elements);
  }
  evictAfter(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): TimestampedValue<T>[] {
    return this.doEvictAfter ? this.evict(elements) : [...elements];
  }
  protected abstract evict(elements: readonly TimestampedValue<T>[]): TimestampedValue<T>[];
}

/**
 * Keeps at most `maxCount` elements: the most recent ones (drops from the head of the window).
 * @example
 * stream.keyBy(k).window(GlobalWindows.create()).trigger(CountTrigger.of(2)).evictor(CountEvictor.of(5));
 */
export class CountEvictor<T = unknown> extends OneSidedEvictor<T> {
  private constructor(private readonly maxCount: number, doEvictAfter: boolean) {
    super(doEvictAfter);
  }
  static of<T = unknown>(maxCount: number, doEvictAfter = false): CountEvictor<T> {
    if (!Number.isInteger(maxCount) || maxCount < 0) throw new Error(`CountEvictor.of(${maxCount}): the count must be an integer >= 0`);
    return new CountEvictor<T>(maxCount, doEvictAfter);
  }
  protected evict(elements: readonly TimestampedValue<T>[]): TimestampedValue<T>[] {
    return elements.length <= this.maxCount ? [...elements] : elements.slice(elements.length - this.maxCount);
  }
}

/**
 * Keeps the elements of the last `windowSize` ms: those whose timestamp is greater than the
 * highest timestamp in the window minus `windowSize`. Elements without timestamps are kept.
 */
export class TimeEvictor<T = unknown> extends OneSidedEvictor<T> {
  private constructor(private readonly windowSize: number, doEvictAfter: boolean) {
    super(doEvictAfter);
  }
  static of<T = unknown>(windowSizeMs: number, doEvictAfter = false): TimeEvictor<T> {
    if (!(windowSizeMs >= 0)) throw new Error(`TimeEvictor.of(${windowSizeMs}): the size must be >= 0 ms`);
    return new TimeEvictor<T>(windowSizeMs, doEvictAfter);
  }
  protected evict(elements: readonly TimestampedValue<T>[]): TimestampedValue<T>[] {
    // As in Flink: without timestamps (processing time) there is nothing to measure against.
    if (elements.length === 0 || elements[0].timestamp === undefined) return [...elements];
    let latest = -Infinity;
    for (const element of elements) if (element.timestamp !== undefined && element.timestamp > latest) latest = element.timestamp;
    const cutoff = latest - this.windowSize;
    return elements.filter((element) => element.timestamp === undefined || element.timestamp > cutoff);
  }
}

/** Distance between two elements, for DeltaEvictor (Flink's DeltaFunction). */
export type DeltaFunction<T> = (oldPoint: T, newPoint: T) => number;

/**
 * Keeps the elements whose delta to the window's last element is below `threshold`.
 * @example
 * DeltaEvictor.of<Reading>(5, (a, b) => Math.abs(a.celsius - b.celsius));
 */
export class DeltaEvictor<T> extends OneSidedEvictor<T> {
  private constructor(private readonly threshold: number, private readonly delta: DeltaFunction<T>, doEvictAfter: boolean) {
    super(doEvictAfter);
  }
  static of<T>(threshold: number, deltaFunction: DeltaFunction<T>, doEvictAfter = false): DeltaEvictor<T> {
    if (Number.isNaN(threshold)) throw new Error("DeltaEvictor.of: the threshold must be a number");
    return new DeltaEvictor<T>(threshold, deltaFunction, doEvictAfter);
  }
  protected evict(elements: readonly TimestampedValue<T>[]): TimestampedValue<T>[] {
    if (elements.length === 0) return [];
    const last = elements[elements.length - 1].value;
    return elements.filter((element) => this.delta(element.value, last) < this.threshold);
  }
}
