// What the window operator keeps per key, as one value in keyed state: a slot per window (its
// contents, the timers it waits on, trigger state, per-window user state), an index from each
// timer's time to the windows waiting on it (the timer service keeps one timer per (key, time)),
// and the in-flight windows of a merging assigner. Plain data and small pure operations on it.

import type { TimeDomain } from "../state/timer-service.ts";
import type { MergingWindowMapping } from "./merging-window-set.ts";
import type { Window } from "./windows.ts";

/** Named values of one window, by state name. */
export type ScopedValues = Map<string, unknown>;

/**
 * Everything about one window of one key, together so that an element touches one map entry.
 * With merging windows, contents live in the slot of the state window and the rest in the slot of
 * the in-flight window; otherwise both are the same slot.
 */
export interface WindowSlot {
  readonly window: Window;
  /** An accumulator, or (with an evictor) the timestamped elements; undefined when empty. */
  contents: unknown;
  /** The times this window has timers at, per domain (usually one or two). */
  eventTimes: number[] | undefined;
  processingTimes: number[] | undefined;
  triggerState: ScopedValues | undefined;
  /** A process window function's per-window state. */
  windowState: ScopedValues | undefined;
}

/** Windows waiting on a timer: time → window id → window. */
export type WindowTimers = Map<number, Map<string, Window>>;

export interface KeyWindows {
  readonly slots: Map<string, WindowSlot>;
  readonly timers: Record<TimeDomain, WindowTimers>;
  /** In-flight windows of a merging assigner, and the window each one's contents are stored under. */
  readonly merging: MergingWindowMapping<Window>;
}

export function emptyKeyWindows(): KeyWindows {
  return { slots: new Map(), timers: { "event-time": new Map(), "processing-time": new Map() }, merging: new Map() };
}

/** True when nothing is left for the key, so its state entry can go. */
export function isEmptyKeyWindows(kw: KeyWindows): boolean {
  return kw.slots.size === 0 && kw.timers["event-time"].size === 0 && kw.timers["processing-time"].size === 0 && kw.merging.size === 0;
}

/** The slot of `window`, created if missing. */
export function slotFor(kw: KeyWindows, window: Window): WindowSlot {
  let slot = kw.slots.get(window.id);
  if (slot === undefined) {
    slot = { window, contents: undefined, eventTimes: undefined, processingTimes: undefined, triggerState: undefined, windowState: undefined };
    kw.slots.set(window.id, slot);
  }
  return slot;
}

/** Removes the slot if nothing is left in it. */
export function pruneSlot(kw: KeyWindows, slot: WindowSlot): void {
  if (slot.contents === undefined && slot.eventTimes === undefined && slot.processingTimes === undefined && slot.triggerState === undefined && slot.windowState === undefined) {
    kw.slots.delete(slot.window.id);
  }
}

function timesOf(slot: WindowSlot, domain: TimeDomain): number[] | undefined {
  return domain === "event-time" ? slot.eventTimes : slot.processingTimes;
}

function setTimes(slot: WindowSlot, domain: TimeDomain, times: number[] | undefined): void {
  if (domain === "event-time") slot.eventTimes = times;
  else slot.processingTimes = times;
}

/**
 * Records that `slot`'s window waits on a timer at `time`; true if no window of the key waited on
 * that time before (register it with the timer service). The common repeat is answered by the slot alone.
 */
export function addWindowTimer(kw: KeyWindows, slot: WindowSlot, domain: TimeDomain, time: number): boolean {
  const times = timesOf(slot, domain);
  if (times === undefined) setTimes(slot, domain, [time]);
  else if (times.includes(time)) return false;
  else times.push(time);
  const index = kw.timers[domain];
  const waiting = index.get(time);
  if (waiting !== undefined) {
    waiting.set(slot.window.id, slot.window);
    return false;
  }
  const windows = new Map<string, Window>();
  windows.set(slot.window.id, slot.window);
  index.set(time, windows);
  return true;
}

/** Removes `slot`'s timer at `time`; true if no window of the key waits on that time any more (delete it from the timer service). */
export function removeWindowTimer(kw: KeyWindows, slot: WindowSlot, domain: TimeDomain, time: number): boolean {
  const times = timesOf(slot, domain);
  const at = times === undefined ? -1 : times.indexOf(time);
  if (at < 0) return false;
  if (times!.length === 1) setTimes(slot, domain, undefined);
  else times!.splice(at, 1);
  const index = kw.timers[domain];
  const waiting = index.get(time);
  if (waiting === undefined || !waiting.delete(slot.window.id) || waiting.size > 0) return false;
  index.delete(time);
  return true;
}

/** The windows waiting on the timer at `time`, which has fired: it is removed from the index and from their slots. */
export function takeWindowTimers(kw: KeyWindows, domain: TimeDomain, time: number): Iterable<Window> {
  const index = kw.timers[domain];
  const waiting = index.get(time);
  if (waiting === undefined) return [];
  // Detached from the index: timers registered while these windows run go into a new entry.
  index.delete(time);
  for (const window of waiting.values()) {
    const slot = kw.slots.get(window.id);
    const times = slot === undefined ? undefined : timesOf(slot, domain);
    if (slot === undefined || times === undefined) continue;
    if (times.length === 1 && times[0] === time) setTimes(slot, domain, undefined);
    else {
      const remaining = times.filter((t) => t !== time);
      setTimes(slot, domain, remaining.length === 0 ? undefined : remaining);
    }
  }
  return waiting.values();
}
