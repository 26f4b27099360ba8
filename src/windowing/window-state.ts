// What the window operator keeps per key, as one value in keyed state: each window's contents,
// trigger state and per-window user state, the windows waiting on each timer (the timer service
// keeps one timer per (key, time); this maps it back to windows), and the in-flight windows of a
// merging assigner. Plain data and small pure operations on it.

import type { ValueState, ValueStateDescriptor } from "../state/keyed-state-backend.ts";
import type { TimeDomain } from "../state/timer-service.ts";
import type { MergingWindowMapping } from "./merging-window-set.ts";
import type { Window } from "./windows.ts";

/** Windows waiting on a timer: timestamp → window id → window. */
export type WindowTimers = Map<number, Map<string, Window>>;

/** Named values of one scope (one window), by state name. */
export type ScopedValues = Map<string, unknown>;

export interface KeyWindows {
  /** Contents by state-window id: an accumulator, or (with an evictor) the timestamped elements. Absent: empty. */
  readonly panes: Map<string, unknown>;
  /** Trigger state by window id. */
  readonly triggerState: Map<string, ScopedValues>;
  /** A process window function's per-window state, by window id. */
  readonly windowState: Map<string, ScopedValues>;
  readonly timers: Record<TimeDomain, WindowTimers>;
  /** In-flight windows of a merging assigner, and the window each one's contents are stored under. */
  readonly merging: MergingWindowMapping<Window>;
}

export function emptyKeyWindows(): KeyWindows {
  return {
    panes: new Map(),
    triggerState: new Map(),
    windowState: new Map(),
    timers: { "event-time": new Map(), "processing-time": new Map() },
    merging: new Map(),
  };
}

/** True when nothing is left for the key, so its state entry can go. */
export function isEmptyKeyWindows(kw: KeyWindows): boolean {
  return (
    kw.panes.size === 0 &&
    kw.triggerState.size === 0 &&
    kw.windowState.size === 0 &&
    kw.timers["event-time"].size === 0 &&
    kw.timers["processing-time"].size === 0 &&
    kw.merging.size === 0
  );
}

/** Adds `window` to the timer at `time`; true if no window waited on that time before (register it with the timer service). */
export function addWindowTimer(timers: WindowTimers, time: number, window: Window): boolean {
  const waiting = timers.get(time);
  if (waiting === undefined) {
    timers.set(time, new Map([[window.id, window]]));
    return true;
  }
  waiting.set(window.id, window);
  return false;
}

/** Removes `window` from the timer at `time`; true if no window waits on that time any more (delete it from the timer service). */
export function removeWindowTimer(timers: WindowTimers, time: number, window: Window): boolean {
  const waiting = timers.get(time);
  if (waiting === undefined || !waiting.delete(window.id)) return false;
  if (waiting.size > 0) return false;
  timers.delete(time);
  return true;
}

/** The windows waiting on the timer at `time`, which is removed (it has fired). */
export function takeWindowTimers(timers: WindowTimers, time: number): Window[] {
  const waiting = timers.get(time);
  if (waiting === undefined) return [];
  timers.delete(time);
  return [...waiting.values()];
}

/**
 * A ValueState over one scope chosen at call time (the window being processed): `scopes()` gives
 * the scopes of the current key, `id()` the current window's. Empty scopes are removed.
 */
export class ScopedValueState<T> implements ValueState<T> {
  constructor(
    private readonly descriptor: ValueStateDescriptor<T>,
    private readonly scopes: () => Map<string, ScopedValues>,
    private readonly id: () => string,
  ) {}

  value(): T | undefined {
    const value = this.scopes().get(this.id())?.get(this.descriptor.name) as T | undefined;
    return value === undefined ? this.descriptor.defaultValue : value;
  }

  update(value: T): void {
    if (value === undefined) this.clear();
    else scopeFor(this.scopes(), this.id()).set(this.descriptor.name, value);
  }

  clear(): void {
    const scopes = this.scopes();
    const id = this.id();
    const values = scopes.get(id);
    if (values === undefined) return;
    values.delete(this.descriptor.name);
    if (values.size === 0) scopes.delete(id);
  }
}

/** The scope of `id` in `scopes`, created if missing. */
export function scopeFor(scopes: Map<string, ScopedValues>, id: string): ScopedValues {
  let values = scopes.get(id);
  if (values === undefined) {
    values = new Map();
    scopes.set(id, values);
  }
  return values;
}
