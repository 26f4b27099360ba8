// The window operator for tumbling and sliding event-time windows with the default event-time
// trigger and no evictor, the common case (Nexmark's windows, Flink SQL's TUMBLE and HOP). Receives
// a keyed stream's records, watermarks and timers like WindowOperator and sends the same results in
// the same order; it only keeps less: per key, the open windows' accumulators by start (a
// WindowRing), and per window a timer at its end and one at its cleanup time.

import type { Counter } from "../observability/metrics.ts";
import { KeyedOperator } from "../operators/keyed.ts";
import type { OperatorContext } from "../operators/operator.ts";
import { ValueStateDescriptor, type ValueState } from "../state/keyed-state-backend.ts";
import type { KeyedTimerService, TimeDomain } from "../state/timer-service.ts";
import type { KeySelector } from "../core/functions.ts";
import { SlidingEventTimeWindows, TumblingEventTimeWindows, requireTimestamp } from "./assigners.ts";
import { keyWindowsSerializer, type ScopedStateRegistries } from "./key-windows-snapshot.ts";
import { EventTimeTrigger } from "./triggers.ts";
import { WindowProcessContext } from "./window-contexts.ts";
import { KEY_WINDOWS_STATE, type WindowOperatorSpec } from "./window-operator.ts";
import { emptyKeyWindows, type KeyWindows } from "./window-state.ts";
import { WINDOW_RING_STATE, emptyWindowRing, isEmptyWindowRing, ringIndexOf, ringInsert, ringRemove, windowRingFromKeyWindows, windowRingSerializer, type WindowRing } from "./window-ring.ts";
import { TimeWindow, builtInWindowSerializer, getWindowStartWithOffset } from "./windows.ts";

/** The shape of fixed windows: each element is in the windows starting every `slide` ms up to `size` ms before it. */
export interface FixedWindows {
  size: number;
  slide: number;
  offset: number;
  name: string;
}

/**
 * The windows' shape if `spec` can run on the FixedWindowOperator: a built-in tumbling or sliding
 * event-time assigner, the default event-time trigger and no evictor. Anything else (custom
 * triggers, evictors, processing time, sessions) needs the general WindowOperator.
 */
export function fixedWindowsOf(spec: WindowOperatorSpec): FixedWindows | undefined {
  if (spec.evictor !== undefined || spec.trigger.constructor !== EventTimeTrigger) return undefined;
  const assigner = spec.assigner;
  if (assigner.constructor === TumblingEventTimeWindows) {
    const { size, offset } = assigner as TumblingEventTimeWindows;
    return { size, slide: size, offset, name: "TumblingEventTimeWindows" };
  }
  if (assigner.constructor === SlidingEventTimeWindows) {
    const { size, slide, offset } = assigner as SlidingEventTimeWindows;
    return { size, slide, offset, name: "SlidingEventTimeWindows" };
  }
  return undefined;
}

export class FixedWindowOperator extends KeyedOperator {
  /** Records dropped because they were late for every window they belong to (and there is no late side output). */
  numLateRecordsDropped = 0;
  private rings!: ValueState<WindowRing>;
  private timers!: KeyedTimerService;
  private processCtx!: WindowProcessContext;
  private lateDropped?: Counter;
  private readonly shape: FixedWindows;
  private readonly scopedStates: ScopedStateRegistries = { triggerState: new Map(), windowState: new Map() };
  private readonly ringDescriptor: ValueStateDescriptor<WindowRing>;
  /** Set when the backend returns copies of values (LMDB), so every change must be written back. */
  private writeBack = false;
  /** Handed to a process function as the key's per-window state until it writes some (then the key keeps it). */
  private spareScoped: KeyWindows = emptyKeyWindows();
  /** Recent windows by start: a firing hands its window to the window function without allocating one. */
  private readonly windowCache = new Map<number, TimeWindow>();

  constructor(keySelector: KeySelector<unknown, unknown>, private readonly spec: WindowOperatorSpec) {
    super(keySelector);
    const shape = fixedWindowsOf(spec);
    if (shape === undefined) throw new Error(`${spec.assigner.toString()} with ${spec.trigger.toString()} needs the general WindowOperator`);
    if (!(spec.allowedLateness >= 0)) throw new Error(`the allowed lateness must be >= 0 ms, got ${spec.allowedLateness}`);
    this.shape = shape;
    this.ringDescriptor = new ValueStateDescriptor<WindowRing>(WINDOW_RING_STATE, undefined, { serializer: windowRingSerializer(this.scopedStates) });
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    if (!ctx.timers) throw new Error("the window operator needs a timer service: it must follow keyBy()");
    const state = this.state;
    this.timers = ctx.timers;
    this.rings = state.getState(this.ringDescriptor);
    this.writeBack = !state.valuesAreLive;
    this.processCtx = new WindowProcessContext(ctx.timers, ctx.clock, ctx.output, state, false, this.scopedStates.windowState);
    this.lateDropped = ctx.metrics?.counter("weir_window_late_records_dropped_total", { job: ctx.jobId, task: ctx.taskName, subtask: String(ctx.subtaskIndex) });
    this.restoreKeyWindows();
    const runtime = this.keyedRuntimeContext();
    await this.spec.aggregation.open(runtime);
    await this.spec.windowFunction.open(runtime);
  }

  protected processKeyed(record: unknown): void {
    const timestamp = this.ctx.timestamp.value;
    const time = requireTimestamp(timestamp, this.shape.name);
    const { size, slide, offset } = this.shape;
    const lateness = this.spec.allowedLateness;
    const aggregation = this.spec.aggregation;
    const watermark = this.timers.currentWatermark;
    const stored = this.rings.value();
    const ring = stored ?? emptyWindowRing();
    let skipped = true;
    // Latest start first, as the assigner lists them: windows fired by a late element fire in that order.
    for (let start = getWindowStartWithOffset(time, offset, slide); start > time - size; start -= slide) {
      const maxTimestamp = start + size - 1;
      if (maxTimestamp + lateness <= watermark) continue;
      skipped = false;
      let index = ringIndexOf(ring, start);
      if (index < 0) {
        index = ringInsert(ring, start, aggregation.add(undefined, record));
        this.registerTimers(maxTimestamp, watermark);
      } else ring.accs[index] = aggregation.add(ring.accs[index], record);
      // The event-time trigger: a window the watermark has passed (kept for lateness) fires on every element.
      if (maxTimestamp <= watermark) {
        this.fire(ring, start, ring.accs[index]);
        this.ctx.timestamp.value = timestamp;
      }
    }
    if (skipped && time + lateness <= watermark) this.onLateElement(record);
    this.store(ring, stored === undefined);
  }

  /** The key's timer at `time`: the window ending there fires, the window whose lateness ends there goes. */
  override onTimer(time: number, key: unknown, _domain: TimeDomain): void {
    this.state.setCurrentKey(key);
    const ring = this.rings.value();
    if (ring === undefined) return;
    const { size } = this.shape;
    const lateness = this.spec.allowedLateness;
    for (let i = 0; i < ring.starts.length; i++) {
      const start = ring.starts[i];
      const maxTimestamp = start + size - 1;
      if (maxTimestamp === time) this.fire(ring, start, ring.accs[i]);
      if (maxTimestamp + lateness === time) {
        this.clearWindow(ring, start);
        ringRemove(ring, i);
        i--;
      }
    }
    this.store(ring, false);
  }

  override async close(): Promise<void> {
    await this.spec.windowFunction.close();
    await this.spec.aggregation.close();
  }

  /** As the event-time trigger and the cleanup timer do: a timer at the window's end (unless passed) and at its end + lateness. */
  private registerTimers(maxTimestamp: number, watermark: number): void {
    const key = this.state.currentKey;
    if (maxTimestamp > watermark) this.timers.registerEventTime(key, maxTimestamp);
    if (this.spec.allowedLateness > 0) this.timers.registerEventTime(key, maxTimestamp + this.spec.allowedLateness);
  }

  private fire(ring: WindowRing, start: number, acc: unknown): void {
    const window = this.windowAt(start);
    const scoped = ring.scoped ?? this.spareScoped;
    const ctx = this.processCtx.at(scoped, window);
    this.ctx.timestamp.value = window.maxTimestamp();
    this.spec.windowFunction.process(this.state.currentKey, ctx, this.spec.aggregation.result(acc), this.output);
    this.keepScoped(ring, scoped);
  }

  /** The window's cleanup time: the window function's clear, and its per-window state goes. */
  private clearWindow(ring: WindowRing, start: number): void {
    const window = this.windowAt(start);
    const scoped = ring.scoped ?? this.spareScoped;
    this.spec.windowFunction.clear(this.processCtx.at(scoped, window));
    scoped.slots.delete(window.id);
    if (scoped.slots.size === 0) ring.scoped = undefined;
    else this.keepScoped(ring, scoped);
  }

  /** A process function wrote per-window state into the spare: the key keeps it. */
  private keepScoped(ring: WindowRing, scoped: KeyWindows): void {
    if (scoped !== this.spareScoped || scoped.slots.size === 0) return;
    ring.scoped = scoped;
    this.spareScoped = emptyKeyWindows();
  }

  private windowAt(start: number): TimeWindow {
    let window = this.windowCache.get(start);
    if (window === undefined) {
      if (this.windowCache.size >= 256) this.windowCache.clear();
      window = new TimeWindow(start, start + this.shape.size);
      this.windowCache.set(start, window);
    }
    return window;
  }

  private onLateElement(record: unknown): void {
    if (this.spec.lateDataTag !== undefined) {
      this.output.collectSide(this.spec.lateDataTag, record);
      return;
    }
    this.numLateRecordsDropped += 1;
    this.lateDropped?.inc();
  }

  /** Heap state holds the object itself: it needs writing only when new (a disk backend holds copies: always), and clearing once empty. */
  private store(ring: WindowRing, created: boolean): void {
    if (isEmptyWindowRing(ring)) this.rings.clear();
    else if (created || this.writeBack) this.rings.update(ring);
  }

  /** State restored from a savepoint of the general operator (same windows, same timers) moves into rings. */
  private restoreKeyWindows(): void {
    const state = this.state;
    if (!state.stateNames().includes(KEY_WINDOWS_STATE) || state.size(KEY_WINDOWS_STATE) === 0) return;
    const legacy = new ValueStateDescriptor<KeyWindows>(KEY_WINDOWS_STATE, undefined, { serializer: keyWindowsSerializer(builtInWindowSerializer, this.scopedStates) });
    state.applyToAllKeys(legacy, (_key, windows) => {
      const kw = windows.value();
      if (kw === undefined) return;
      const ring = windowRingFromKeyWindows(kw);
      if (!isEmptyWindowRing(ring)) this.rings.update(ring);
      windows.clear();
    });
  }
}
