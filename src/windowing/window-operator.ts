// The window operator (Flink's WindowOperator and EvictingWindowOperator in one). Receives the
// records of a keyed stream, watermarks and timers; per (key, window) it keeps contents, trigger
// state and timers, merges session windows, and sends each firing's results (stamped with the
// window's max timestamp) downstream, and late records to a side output or the drop counter.

import type { Counter } from "../observability/metrics.ts";
import { KeyedOperator } from "../operators/keyed.ts";
import type { OperatorContext } from "../operators/operator.ts";
import { ValueStateDescriptor, type ValueState } from "../state/keyed-state-backend.ts";
import type { KeyedTimerService, TimeDomain } from "../state/timer-service.ts";
import type { KeySelector } from "../core/functions.ts";
import { isMergingWindowAssigner, type MergingWindowAssigner, type WindowAssigner, type WindowAssignerContext } from "./assigners.ts";
import type { Evictor, EvictorContext, TimestampedValue } from "./evictors.ts";
import type { InternalWindowFunction, PaneAggregation } from "./internal-window-functions.ts";
import { MergingWindowSet } from "./merging-window-set.ts";
import { isFire, isPurge, type Trigger, type TriggerResult } from "./trigger.ts";
import { WindowProcessContext, WindowTriggerContext, evictorContext } from "./window-contexts.ts";
import { emptyKeyWindows, isEmptyKeyWindows, pruneSlot, slotFor, takeWindowTimers, type KeyWindows, type WindowSlot } from "./window-state.ts";
import { builtInWindowSerializer, type Window } from "./windows.ts";
import { keyWindowsSerializer, type ScopedStateRegistries } from "./key-windows-snapshot.ts";
import { WINDOW_RING_STATE } from "./window-ring.ts";

/** Everything a window operator is built from (one per subtask: the functions are per-subtask copies). */
export interface WindowOperatorSpec {
  assigner: WindowAssigner<unknown, Window>;
  trigger: Trigger<unknown, Window>;
  /** With an evictor, contents are kept as elements and aggregated when the window fires. */
  evictor?: Evictor<unknown, Window>;
  /** Event time only: how long (ms) after a window's end it is kept for late elements. */
  allowedLateness: number;
  /** Side output id for elements too late for any window; without it they are dropped (and counted). */
  lateDataTag?: string;
  aggregation: PaneAggregation<unknown, unknown, unknown>;
  windowFunction: InternalWindowFunction<unknown>;
}

/** The keyed state holding each key's windows (a KeyWindows). */
export const KEY_WINDOWS_STATE = "weir.window-operator.windows";

export class WindowOperator extends KeyedOperator {
  /** Records dropped because they were late for every window they belong to (and there is no late side output). */
  numLateRecordsDropped = 0;
  private windows!: ValueState<KeyWindows>;
  private timers!: KeyedTimerService;
  private triggerCtx!: WindowTriggerContext;
  private processCtx!: WindowProcessContext;
  private evictorCtx!: EvictorContext;
  private assignerCtx!: WindowAssignerContext;
  private lateDropped?: Counter;
  /** Set for a merging (session) assigner. */
  private readonly mergingAssigner?: MergingWindowAssigner<unknown, Window>;
  private readonly merging: boolean;
  private readonly eventTime: boolean;
  /** Per-window state names, learnt as triggers and functions ask for them: snapshots need their kinds. */
  private readonly scopedStates: ScopedStateRegistries = { triggerState: new Map(), windowState: new Map() };
  private readonly keyWindows: ValueStateDescriptor<KeyWindows>;
  /** Set when the backend returns copies of values (LMDB), so every change must be written back. */
  private writeBack = false;

  constructor(keySelector: KeySelector<unknown, unknown>, private readonly spec: WindowOperatorSpec) {
    super(keySelector);
    const windowSerializer = typeof spec.assigner.getWindowSerializer === "function" ? spec.assigner.getWindowSerializer() : builtInWindowSerializer;
    this.keyWindows = new ValueStateDescriptor<KeyWindows>(KEY_WINDOWS_STATE, undefined, { serializer: keyWindowsSerializer(windowSerializer, this.scopedStates) });
    if (!(spec.allowedLateness >= 0)) throw new Error(`the allowed lateness must be >= 0 ms, got ${spec.allowedLateness}`);
    this.mergingAssigner = isMergingWindowAssigner(spec.assigner) ? spec.assigner : undefined;
    this.merging = this.mergingAssigner !== undefined;
    this.eventTime = spec.assigner.isEventTime();
    if (this.merging && !spec.trigger.canMerge()) throw new Error(`${spec.assigner.toString()} merges windows, but ${spec.trigger.toString()} does not support merging`);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    if (!ctx.timers) throw new Error("the window operator needs a timer service: it must follow keyBy()");
    const timers = ctx.timers;
    const clock = ctx.clock;
    const state = this.state;
    this.timers = timers;
    // Restored windows (restore runs before open) are rebuilt here, through the descriptor's serializer.
    this.windows = state.getState(this.keyWindows);
    this.writeBack = !state.valuesAreLive;
    if (state.stateNames().includes(WINDOW_RING_STATE) && state.size(WINDOW_RING_STATE) > 0) {
      throw new Error(
        `${this.spec.assigner.toString()}: the restored state holds windows of a tumbling or sliding window with the default trigger and no evictor; restore it into a job with the same window (a custom trigger or an evictor needs a fresh start)`,
      );
    }
    this.triggerCtx = new WindowTriggerContext(timers, clock, () => state.currentKey, this.scopedStates.triggerState);
    this.processCtx = new WindowProcessContext(timers, clock, ctx.output, state, this.merging, this.scopedStates.windowState);
    this.evictorCtx = evictorContext(timers, clock);
    this.assignerCtx = { getCurrentProcessingTime: () => clock.now() };
    this.lateDropped = ctx.metrics?.counter("weir_window_late_records_dropped_total", { job: ctx.jobId, task: ctx.taskName, subtask: String(ctx.subtaskIndex) });
    const runtime = this.keyedRuntimeContext();
    await this.spec.aggregation.open(runtime);
    await this.spec.windowFunction.open(runtime);
  }

  protected processKeyed(record: unknown): void {
    const timestamp = this.ctx.timestamp.value;
    const assigned = this.spec.assigner.assignWindows(record, timestamp, this.assignerCtx);
    const stored = this.windows.value();
    const kw = stored ?? emptyKeyWindows();
    const mergingSet = this.merging ? this.mergingSet(kw) : undefined;
    let skipped = true;
    for (const assignedWindow of assigned) {
      const window = mergingSet ? mergingSet.addWindow(assignedWindow, (result, merged, stateResult, mergedState) => this.mergeWindows(kw, result, merged, stateResult, mergedState)) : assignedWindow;
      if (this.isWindowLate(window)) {
        mergingSet?.retireWindow(window);
        continue;
      }
      skipped = false;
      const stateSlot = slotFor(kw, mergingSet ? this.requireStateWindow(mergingSet, window) : window);
      this.addElement(stateSlot, record, timestamp);
      const slot = stateSlot.window === window ? stateSlot : slotFor(kw, window);
      const result = this.spec.trigger.onElement(record, timestamp, window, this.triggerCtx.at(kw, window, slot));
      this.applyTriggerResult(kw, window, stateSlot, result);
      this.registerCleanupTimer(kw, window, slot);
      pruneSlot(kw, stateSlot);
      // A firing stamps its output with the window's time; the next window sees the record's own.
      this.ctx.timestamp.value = timestamp;
    }
    if (skipped && this.isElementLate(timestamp)) this.onLateElement(record);
    this.store(kw, stored === undefined);
  }

  /** A timer of the timer service fired for `key`: run it for every window waiting on it. */
  override onTimer(timestamp: number, key: unknown, domain: TimeDomain): void {
    this.state.setCurrentKey(key);
    const kw = this.windows.value();
    if (kw === undefined) return;
    for (const window of takeWindowTimers(kw, domain, timestamp)) this.onWindowTimer(kw, window, timestamp, domain);
    this.store(kw, false);
  }

  override async close(): Promise<void> {
    await this.spec.windowFunction.close();
    await this.spec.aggregation.close();
  }

  private onWindowTimer(kw: KeyWindows, window: Window, time: number, domain: TimeDomain): void {
    let stateWindow: Window | undefined = window;
    if (this.merging) {
      stateWindow = this.mergingSet(kw).getStateWindow(window);
      // Merged away or retired: its trigger was cleared already, so a leftover timer has nothing to do.
      if (stateWindow === undefined) return;
    }
    const stateSlot = kw.slots.get(stateWindow.id);
    if (stateSlot !== undefined && stateSlot.contents !== undefined) {
      const ctx = this.triggerCtx.at(kw, window);
      const trigger = this.spec.trigger;
      const result = domain === "event-time" ? trigger.onEventTime(time, window, ctx) : trigger.onProcessingTime(time, window, ctx);
      this.applyTriggerResult(kw, window, stateSlot, result);
    }
    const cleanupDomain: TimeDomain = this.eventTime ? "event-time" : "processing-time";
    if (domain === cleanupDomain && time === this.cleanupTime(window)) this.clearAllState(kw, window, stateWindow);
    else {
      if (stateSlot !== undefined) pruneSlot(kw, stateSlot);
      const slot = kw.slots.get(window.id);
      if (slot !== undefined) pruneSlot(kw, slot);
    }
  }

  private applyTriggerResult(kw: KeyWindows, window: Window, stateSlot: WindowSlot, result: TriggerResult): void {
    if (isFire(result)) this.emitWindowContents(kw, window, stateSlot);
    if (isPurge(result)) stateSlot.contents = undefined;
  }

  /** Runs the window function on the window's contents (after evictBefore, and then evictAfter). */
  private emitWindowContents(kw: KeyWindows, window: Window, stateSlot: WindowSlot): void {
    const contents = stateSlot.contents;
    if (contents === undefined) return;
    const { aggregation, windowFunction, evictor } = this.spec;
    const key = this.state.currentKey;
    const ctx = this.processCtx.at(kw, window);
    this.ctx.timestamp.value = window.maxTimestamp();
    if (evictor === undefined) {
      windowFunction.process(key, ctx, aggregation.result(contents), this.output);
      return;
    }
    const kept = evictor.evictBefore(contents as TimestampedValue<unknown>[], window, this.evictorCtx);
    const result = this.fold(kept);
    if (result !== undefined) windowFunction.process(key, ctx, result.value, this.output);
    const remaining = evictor.evictAfter(kept, window, this.evictorCtx);
    stateSlot.contents = remaining.length === 0 ? undefined : remaining;
  }

  /** With an evictor: aggregates the kept elements when the window fires. */
  private fold(elements: readonly TimestampedValue<unknown>[]): { value: unknown } | undefined {
    const aggregation = this.spec.aggregation;
    if (elements.length === 0) return aggregation.emptyResult();
    let acc: unknown ;
    for (const element of elements) acc = aggregation.add(acc, element.value);
    return { value: aggregation.result(acc) };
  }

  private addElement(slot: WindowSlot, record: unknown, timestamp: number | undefined): void {
    if (this.spec.evictor === undefined) {
      slot.contents = this.spec.aggregation.add(slot.contents, record);
      return;
    }
    const elements = slot.contents as TimestampedValue<unknown>[] | undefined;
    if (elements === undefined) slot.contents = [{ value: record, timestamp }];
    else elements.push({ value: record, timestamp });
  }

  /** Session windows merged: trigger state and timers move to the result, contents into its state window. */
  private mergeWindows(kw: KeyWindows, result: Window, merged: Window[], stateWindowResult: Window, mergedStateWindows: Window[]): void {
    if (this.eventTime && result.maxTimestamp() + this.spec.allowedLateness <= this.timers.currentWatermark) {
      throw new Error(`merging produced ${String(result)}, whose end is already behind the watermark ${this.timers.currentWatermark}`);
    }
    const trigger = this.spec.trigger;
    const mergeCtx = this.triggerCtx.at(kw, result);
    mergeCtx.mergedWindows = merged;
    try {
      trigger.onMerge(result, mergeCtx);
    } finally {
      mergeCtx.mergedWindows = [];
    }
    for (const window of merged) {
      const slot = kw.slots.get(window.id);
      trigger.clear(window, this.triggerCtx.at(kw, window, slot));
      this.deleteCleanupTimer(kw, window);
      if (slot !== undefined) {
        slot.triggerState = undefined;
        pruneSlot(kw, slot);
      }
    }
    const target = slotFor(kw, stateWindowResult);
    for (const stateWindow of mergedStateWindows) {
      const source = kw.slots.get(stateWindow.id);
      if (source === undefined || source.contents === undefined) continue;
      target.contents = target.contents === undefined ? source.contents : this.mergeContents(target.contents, source.contents);
      source.contents = undefined;
      pruneSlot(kw, source);
    }
    pruneSlot(kw, target);
  }

  private mergeContents(a: unknown, b: unknown): unknown {
    if (this.spec.evictor !== undefined) return (a as TimestampedValue<unknown>[]).concat(b as TimestampedValue<unknown>[]);
    return this.spec.aggregation.merge(a, b);
  }

  /** The window's end (+ lateness in event time) is reached: drop its contents, trigger state, per-window state and timers. */
  private clearAllState(kw: KeyWindows, window: Window, stateWindow: Window): void {
    const stateSlot = kw.slots.get(stateWindow.id);
    if (stateSlot !== undefined) stateSlot.contents = undefined;
    this.spec.trigger.clear(window, this.triggerCtx.at(kw, window));
    this.spec.windowFunction.clear(this.processCtx.at(kw, window));
    const slot = kw.slots.get(window.id);
    if (slot !== undefined) {
      slot.triggerState = undefined;
      slot.windowState = undefined;
      pruneSlot(kw, slot);
    }
    if (stateSlot !== undefined && stateSlot !== slot) pruneSlot(kw, stateSlot);
    if (this.merging) this.mergingSet(kw).retireWindow(window);
  }

  /** When a window's state goes: its end (+ allowed lateness in event time); +∞ for a window that never ends. */
  private cleanupTime(window: Window): number {
    return this.eventTime ? window.maxTimestamp() + this.spec.allowedLateness : window.maxTimestamp();
  }

  private registerCleanupTimer(kw: KeyWindows, window: Window, slot: WindowSlot): void {
    const time = this.cleanupTime(window);
    if (time === Infinity) return;
    const ctx = this.triggerCtx.at(kw, window, slot);
    if (this.eventTime) ctx.registerEventTimeTimer(time);
    else ctx.registerProcessingTimeTimer(time);
  }

  private deleteCleanupTimer(kw: KeyWindows, window: Window): void {
    const time = this.cleanupTime(window);
    if (time === Infinity) return;
    const ctx = this.triggerCtx.at(kw, window);
    if (this.eventTime) ctx.deleteEventTimeTimer(time);
    else ctx.deleteProcessingTimeTimer(time);
  }

  private isWindowLate(window: Window): boolean {
    return this.eventTime && this.cleanupTime(window) <= this.timers.currentWatermark;
  }

  private isElementLate(timestamp: number | undefined): boolean {
    return this.eventTime && timestamp !== undefined && timestamp + this.spec.allowedLateness <= this.timers.currentWatermark;
  }

  private onLateElement(record: unknown): void {
    if (this.spec.lateDataTag !== undefined) {
      this.output.collectSide(this.spec.lateDataTag, record);
      return;
    }
    this.numLateRecordsDropped += 1;
    this.lateDropped?.inc();
  }

  private mergingSet(kw: KeyWindows): MergingWindowSet<Window> {
    return new MergingWindowSet(this.mergingAssigner!, kw.merging);
  }

  private requireStateWindow(set: MergingWindowSet<Window>, window: Window): Window {
    const stateWindow = set.getStateWindow(window);
    if (stateWindow === undefined) throw new Error(`window ${String(window)} is not in the in-flight window set`);
    return stateWindow;
  }

  /** Heap state holds the object itself: it needs writing only when new (a disk backend holds copies: always), and clearing once empty. */
  private store(kw: KeyWindows, created: boolean): void {
    if (isEmptyKeyWindows(kw)) this.windows.clear();
    else if (created || this.writeBack) this.windows.update(kw);
  }
}
