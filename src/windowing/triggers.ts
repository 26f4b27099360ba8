// The built-in triggers, with Flink's semantics: event time, processing time, count, continuous
// event/processing time, purging (a wrapper) and never (GlobalWindows' default). Each is pure
// over its TriggerContext: timers and per-window state live in the window operator.

import { ValueStateDescriptor } from "../state/keyed-state-backend.ts";
import { Trigger, TriggerResult, isFire, type OnMergeContext, type TriggerContext } from "./trigger.ts";
import type { Window } from "./windows.ts";

/** Fires once the watermark passes the window's end; fires again for each late element (allowed lateness). */
export class EventTimeTrigger extends Trigger<unknown, Window> {
  private static readonly instance = new EventTimeTrigger();
  private constructor() {
    super();
  }
  static create(): EventTimeTrigger {
    return EventTimeTrigger.instance;
  }
  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    // The watermark already passed the end: a late element of a window kept for lateness fires it at once.
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }
  override onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: Window, ctx: OnMergeContext): void {
    // Past the watermark, onElement fires the merged window; a timer too would fire it twice.
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires when processing time reaches the window's end. */
export class ProcessingTimeTrigger extends Trigger<unknown, Window> {
  private static readonly instance = new ProcessingTimeTrigger();
  private constructor() {
    super();
  }
  static create(): ProcessingTimeTrigger {
    return ProcessingTimeTrigger.instance;
  }
  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }
  override onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }
  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}

const COUNT = new ValueStateDescriptor<number>("count-trigger.count");

/** Fires every `maxCount` elements (the count restarts after each firing). */
export class CountTrigger extends Trigger<unknown, Window> {
  private constructor(private readonly maxCount: number) {
    super();
  }
  static of(maxCount: number): CountTrigger {
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new Error(`CountTrigger.of(${maxCount}): the count must be a positive integer`);
    return new CountTrigger(maxCount);
  }
  onElement(_element: unknown, _timestamp: number | undefined, _window: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState(COUNT);
    const next = (count.value() ?? 0) + 1;
    if (next >= this.maxCount) {
      count.clear();
      return TriggerResult.FIRE;
    }
    count.update(next);
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(COUNT, (a, b) => a + b);
  }
  override clear(_window: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState(COUNT).clear();
  }
  override toString(): string {
    return `CountTrigger(${this.maxCount})`;
  }
}

const EVENT_FIRE_TIME = new ValueStateDescriptor<number>("continuous-event-time-trigger.fire-time");

/** Fires every `interval` ms of event time while the window is open, and at its end. */
export class ContinuousEventTimeTrigger extends Trigger<unknown, Window> {
  private constructor(private readonly interval: number) {
    super();
  }
  static of(intervalMs: number): ContinuousEventTimeTrigger {
    if (!(intervalMs > 0)) throw new Error(`ContinuousEventTimeTrigger.of(${intervalMs}): the interval must be > 0 ms`);
    return new ContinuousEventTimeTrigger(intervalMs);
  }
  onElement(_element: unknown, timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    if (timestamp === undefined) throw new Error("ContinuousEventTimeTrigger needs records with event-time timestamps (assignTimestampsAndWatermarks)");
    const fireTime = ctx.getPartitionedState(EVENT_FIRE_TIME);
    if (fireTime.value() === undefined) this.registerNext(timestamp - (timestamp % this.interval), window, ctx);
    return TriggerResult.CONTINUE;
  }
  override onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    const fireTime = ctx.getPartitionedState(EVENT_FIRE_TIME);
    if (fireTime.value() !== time) return TriggerResult.CONTINUE;
    this.registerNext(time, window, ctx);
    return TriggerResult.FIRE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(EVENT_FIRE_TIME, Math.min);
    const next = ctx.getPartitionedState(EVENT_FIRE_TIME).value();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
  }
  override clear(_window: Window, ctx: TriggerContext): void {
    const fireTime = ctx.getPartitionedState(EVENT_FIRE_TIME);
    const time = fireTime.value();
    if (time !== undefined) ctx.deleteEventTimeTimer(time);
    fireTime.clear();
  }
  override toString(): string {
    return `ContinuousEventTimeTrigger(${this.interval})`;
  }
  /** The next firing: one interval on, but never past the window's end. */
  private registerNext(time: number, window: Window, ctx: TriggerContext): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    ctx.getPartitionedState(EVENT_FIRE_TIME).update(next);
    ctx.registerEventTimeTimer(next);
  }
}

const PROCESSING_FIRE_TIME = new ValueStateDescriptor<number>("continuous-processing-time-trigger.fire-time");

/** Fires every `interval` ms of processing time, aligned to multiples of the interval, and at the window's end. */
export class ContinuousProcessingTimeTrigger extends Trigger<unknown, Window> {
  private constructor(private readonly interval: number) {
    super();
  }
  static of(intervalMs: number): ContinuousProcessingTimeTrigger {
    if (!(intervalMs > 0)) throw new Error(`ContinuousProcessingTimeTrigger.of(${intervalMs}): the interval must be > 0 ms`);
    return new ContinuousProcessingTimeTrigger(intervalMs);
  }
  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    const now = ctx.getCurrentProcessingTime();
    if (ctx.getPartitionedState(PROCESSING_FIRE_TIME).value() === undefined) this.registerNext(now - (now % this.interval), window, ctx);
    return TriggerResult.CONTINUE;
  }
  override onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const fireTime = ctx.getPartitionedState(PROCESSING_FIRE_TIME);
    if (fireTime.value() !== time) return TriggerResult.CONTINUE;
    // At the window's end there is no next firing. (Flink re-registers the end itself, which loops
    // forever when processing time is already past the end of an event-time window.)
    if (time >= window.maxTimestamp()) fireTime.clear();
    else this.registerNext(time, window, ctx);
    return TriggerResult.FIRE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(PROCESSING_FIRE_TIME, Math.min);
    const next = ctx.getPartitionedState(PROCESSING_FIRE_TIME).value();
    if (next !== undefined) ctx.registerProcessingTimeTimer(next);
  }
  override clear(_window: Window, ctx: TriggerContext): void {
    const fireTime = ctx.getPartitionedState(PROCESSING_FIRE_TIME);
    const time = fireTime.value();
    if (time !== undefined) ctx.deleteProcessingTimeTimer(time);
    fireTime.clear();
  }
  override toString(): string {
    return `ContinuousProcessingTimeTrigger(${this.interval})`;
  }
  private registerNext(time: number, window: Window, ctx: TriggerContext): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    ctx.getPartitionedState(PROCESSING_FIRE_TIME).update(next);
    ctx.registerProcessingTimeTimer(next);
  }
}

/** Turns every FIRE of the inner trigger into FIRE_AND_PURGE: each firing sees only what arrived since the last. */
export class PurgingTrigger<T, W extends Window> extends Trigger<T, W> {
  private constructor(private readonly inner: Trigger<T, W>) {
    super();
  }
  static of<T, W extends Window>(inner: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(inner);
  }
  onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.inner.onElement(element, timestamp, window, ctx));
  }
  override onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.inner.onEventTime(time, window, ctx));
  }
  override onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.inner.onProcessingTime(time, window, ctx));
  }
  override canMerge(): boolean {
    return this.inner.canMerge();
  }
  override onMerge(window: W, ctx: OnMergeContext): void {
    this.inner.onMerge(window, ctx);
  }
  override clear(window: W, ctx: TriggerContext): void {
    this.inner.clear(window, ctx);
  }
  override toString(): string {
    return `PurgingTrigger(${this.inner.toString()})`;
  }
}

function purging(result: TriggerResult): TriggerResult {
  return isFire(result) ? TriggerResult.FIRE_AND_PURGE : result;
}

/** Never fires: the default of GlobalWindows, which need a custom trigger to produce anything. */
export class NeverTrigger extends Trigger<unknown, Window> {
  private static readonly instance = new NeverTrigger();
  private constructor() {
    super();
  }
  static create(): NeverTrigger {
    return NeverTrigger.instance;
  }
  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(): void {}
}
