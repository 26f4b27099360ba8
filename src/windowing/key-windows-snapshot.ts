// How one key's window state (KeyWindows) travels in a snapshot: windows through the assigner's
// window serializer, Maps as arrays in their order, per-window state by its descriptor's kind and
// serializer (restored per-window values wait, as data, for their descriptor). Pure.

import type { StateSerializer } from "../core/state-descriptors.ts";
import type { TimeDomain } from "../state/timer-service.ts";
import type { MergingWindowMapping } from "./merging-window-set.ts";
import { RestoredScopedValue, scopedValueToSnapshot, type ScopedStateRegistry, type SlotValuesField } from "./window-state-cells.ts";
import { emptyKeyWindows, type KeyWindows, type ScopedValues, type WindowSlot, type WindowTimers } from "./window-state.ts";
import type { Window } from "./windows.ts";

/** The per-window state names an operator's triggers and functions have used, per slot field. */
export type ScopedStateRegistries = Record<SlotValuesField, ScopedStateRegistry>;

/** One slot as plain data; empty fields are left out. */
interface SlotSnapshot {
  window: unknown;
  contents?: unknown;
  eventTimes?: number[];
  processingTimes?: number[];
  triggerState?: [name: string, data: unknown][];
  windowState?: [name: string, data: unknown][];
}

/** KeyWindows as plain data. Map orders are kept: they decide which window fires first on a shared timer. */
interface KeyWindowsSnapshot {
  slots: SlotSnapshot[];
  eventTimers: [time: number, windows: unknown[]][];
  processingTimers: [time: number, windows: unknown[]][];
  merging: [window: unknown, stateWindow: unknown][];
}

/**
 * The serializer of the window operator's per-key state. `registries` are filled as the operator's
 * triggers and window functions ask for per-window state, so it must be built per operator instance.
 * @example
 * const descriptor = new ValueStateDescriptor<KeyWindows>("windows", undefined, { serializer: keyWindowsSerializer(assigner.getWindowSerializer(), registries) });
 */
export function keyWindowsSerializer(windows: StateSerializer<Window>, registries: ScopedStateRegistries): StateSerializer<KeyWindows> {
  return {
    toSnapshot: (kw) => keyWindowsToSnapshot(kw, windows, registries),
    fromSnapshot: (data) => keyWindowsFromSnapshot(data, windows),
  };
}

function keyWindowsToSnapshot(kw: KeyWindows, windows: StateSerializer<Window>, registries: ScopedStateRegistries): KeyWindowsSnapshot {
  const window = (w: Window): unknown => windows.toSnapshot(w);
  const timers = (index: WindowTimers): [number, unknown[]][] => Array.from(index, ([time, waiting]) => [time, Array.from(waiting.values(), window)]);
  return {
    slots: Array.from(kw.slots.values(), (slot) => slotToSnapshot(slot, window, registries)),
    eventTimers: timers(kw.timers["event-time"]),
    processingTimers: timers(kw.timers["processing-time"]),
    merging: Array.from(kw.merging.values(), (m) => [window(m.window), window(m.stateWindow)]),
  };
}

function slotToSnapshot(slot: WindowSlot, window: (w: Window) => unknown, registries: ScopedStateRegistries): SlotSnapshot {
  const snapshot: SlotSnapshot = { window: window(slot.window) };
  if (slot.contents !== undefined) snapshot.contents = slot.contents;
  if (slot.eventTimes !== undefined) snapshot.eventTimes = slot.eventTimes.slice();
  if (slot.processingTimes !== undefined) snapshot.processingTimes = slot.processingTimes.slice();
  if (slot.triggerState !== undefined) snapshot.triggerState = scopedToSnapshot(slot.triggerState, registries.triggerState);
  if (slot.windowState !== undefined) snapshot.windowState = scopedToSnapshot(slot.windowState, registries.windowState);
  return snapshot;
}

function scopedToSnapshot(values: ScopedValues, registry: ScopedStateRegistry): [string, unknown][] {
  return Array.from(values, ([name, value]) => [name, scopedValueToSnapshot(value, registry.get(name))]);
}

/** Rebuilds KeyWindows; equal windows become one instance, as they were (slots, timers and merging share them). */
function keyWindowsFromSnapshot(data: unknown, windows: StateSerializer<Window>): KeyWindows {
  const snapshot = data as Partial<KeyWindowsSnapshot> | null;
  if (typeof snapshot !== "object" || snapshot === null) throw new Error("window operator snapshot: a key's windows must be an object");
  const known = new Map<string, Window>();
  const window = (windowData: unknown): Window => {
    const restored = windows.fromSnapshot(windowData);
    const existing = known.get(restored.id);
    if (existing !== undefined) return existing;
    known.set(restored.id, restored);
    return restored;
  };
  const kw = emptyKeyWindows();
  for (const slot of arrayField(snapshot.slots, "slots")) {
    const restored = slotFromSnapshot(slot, window);
    kw.slots.set(restored.window.id, restored);
  }
  restoreTimers(kw, "event-time", arrayField(snapshot.eventTimers, "eventTimers"), window);
  restoreTimers(kw, "processing-time", arrayField(snapshot.processingTimers, "processingTimers"), window);
  const merging: MergingWindowMapping<Window> = kw.merging;
  for (const pair of arrayField(snapshot.merging, "merging")) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Error("window operator snapshot: a merging entry must be a [window, stateWindow] pair");
    const inFlight = window(pair[0]);
    merging.set(inFlight.id, { window: inFlight, stateWindow: window(pair[1]) });
  }
  return kw;
}

function slotFromSnapshot(data: unknown, window: (data: unknown) => Window): WindowSlot {
  const slot = data as Partial<SlotSnapshot> | null;
  if (typeof slot !== "object" || slot === null || !("window" in slot)) throw new Error("window operator snapshot: a slot must be an object with a window");
  return {
    window: window(slot.window),
    contents: slot.contents,
    eventTimes: timesField(slot.eventTimes),
    processingTimes: timesField(slot.processingTimes),
    triggerState: scopedFromSnapshot(slot.triggerState),
    windowState: scopedFromSnapshot(slot.windowState),
  };
}

function restoreTimers(kw: KeyWindows, domain: TimeDomain, entries: unknown[], window: (data: unknown) => Window): void {
  const index = kw.timers[domain];
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "number" || !Array.isArray(entry[1])) {
      throw new Error("window operator snapshot: a timer entry must be a [time, windows] pair");
    }
    const waiting = new Map<string, Window>();
    for (const windowData of entry[1] as unknown[]) {
      const restored = window(windowData);
      waiting.set(restored.id, restored);
    }
    index.set(entry[0], waiting);
  }
}

/** Per-window values stay as data until a handle reads them (see RestoredScopedValue). */
function scopedFromSnapshot(entries: unknown): ScopedValues | undefined {
  if (entries === undefined || entries === null) return undefined;
  const values: ScopedValues = new Map();
  for (const entry of arrayField(entries, "per-window state")) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string") throw new Error("window operator snapshot: per-window state must be [name, value] pairs");
    values.set(entry[0], new RestoredScopedValue(entry[1]));
  }
  return values.size > 0 ? values : undefined;
}

function timesField(times: unknown): number[] | undefined {
  if (times === undefined || times === null) return undefined;
  if (!Array.isArray(times) || !times.every((t) => typeof t === "number")) throw new Error("window operator snapshot: timer times must be an array of numbers");
  return times.length > 0 ? times.slice() : undefined;
}

function arrayField(value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`window operator snapshot: ${field} must be an array`);
  return value;
}
