// What the fixed-window operator keeps per key, as one value in keyed state: the accumulators of
// the key's open windows in two small arrays ordered by window start, and (only when a process
// window function keeps per-window state) that state in the general operator's layout. Plain data,
// its snapshot form, and the conversion from the general operator's per-key state. Pure.

import type { StateSerializer } from "../core/state-descriptors.ts";
import { keyWindowsSerializer, type ScopedStateRegistries } from "./key-windows-snapshot.ts";
import { emptyKeyWindows, type KeyWindows } from "./window-state.ts";
import { TimeWindow, builtInWindowSerializer } from "./windows.ts";

/** The keyed state holding each key's windows in the fixed-window operator. */
export const WINDOW_RING_STATE = "weir.window-operator.fixed-windows";

/** One key's open windows. A window is in the ring from its first element until its cleanup time. */
export interface WindowRing {
  /** Window starts, ascending. */
  readonly starts: number[];
  /** The accumulator of the window at the same index (never undefined: a window enters with its first element). */
  readonly accs: unknown[];
  /** Per-window state of a process window function, by window (rare: created on its first use). */
  scoped: KeyWindows | undefined;
}

export function emptyWindowRing(): WindowRing {
  return { starts: [], accs: [], scoped: undefined };
}

/** The index of the window starting at `start`, or −1. Searched from the newest: in-order data hits it first. */
export function ringIndexOf(ring: WindowRing, start: number): number {
  const starts = ring.starts;
  for (let i = starts.length - 1; i >= 0; i--) {
    const s = starts[i];
    if (s === start) return i;
    if (s < start) return -1;
  }
  return -1;
}

/** Adds the window starting at `start` (not in the ring yet) with `acc`; returns its index. */
export function ringInsert(ring: WindowRing, start: number, acc: unknown): number {
  const { starts, accs } = ring;
  let i = starts.length;
  while (i > 0 && starts[i - 1] > start) i--;
  if (i === starts.length) {
    starts.push(start);
    accs.push(acc);
  } else {
    starts.splice(i, 0, start);
    accs.splice(i, 0, acc);
  }
  return i;
}

export function ringRemove(ring: WindowRing, index: number): void {
  ring.starts.splice(index, 1);
  ring.accs.splice(index, 1);
}

export function isEmptyWindowRing(ring: WindowRing): boolean {
  return ring.starts.length === 0 && ring.scoped === undefined;
}

/** A ring as plain data; `scoped` in the general operator's snapshot form. */
interface WindowRingSnapshot {
  starts: number[];
  accs: unknown[];
  scoped?: unknown;
}

/**
 * The serializer of the fixed-window operator's per-key state; `registries` as for keyWindowsSerializer.
 * @example
 * const descriptor = new ValueStateDescriptor<WindowRing>("rings", undefined, { serializer: windowRingSerializer(registries) });
 */
export function windowRingSerializer(registries: ScopedStateRegistries): StateSerializer<WindowRing> {
  const scoped = keyWindowsSerializer(builtInWindowSerializer, registries);
  return {
    toSnapshot: (ring) => {
      const snapshot: WindowRingSnapshot = { starts: ring.starts.slice(), accs: ring.accs.slice() };
      if (ring.scoped !== undefined) snapshot.scoped = scoped.toSnapshot(ring.scoped);
      return snapshot;
    },
    fromSnapshot: (data) => {
      const snapshot = data as Partial<WindowRingSnapshot> | null;
      if (typeof snapshot !== "object" || snapshot === null || !Array.isArray(snapshot.starts) || !Array.isArray(snapshot.accs)) {
        throw new Error("window operator snapshot: a key's fixed windows must be an object with starts and accs arrays");
      }
      if (snapshot.starts.length !== snapshot.accs.length || !snapshot.starts.every((s) => typeof s === "number")) {
        throw new Error("window operator snapshot: a key's fixed windows need one number start per accumulator");
      }
      const restored: WindowRing = { starts: snapshot.starts.slice(), accs: snapshot.accs.slice(), scoped: undefined };
      if (snapshot.scoped !== undefined && snapshot.scoped !== null) restored.scoped = scoped.fromSnapshot(snapshot.scoped);
      return restored;
    },
  };
}

/**
 * A key's windows as the general window operator kept them (state saved before the fixed-window
 * operator existed), as a ring. Only default-trigger, evictor-free tumbling and sliding windows come
 * here, so every window with contents has exactly the timers the ring expects (its end and its
 * cleanup time), which the timer service restores on its own.
 */
export function windowRingFromKeyWindows(kw: KeyWindows): WindowRing {
  const ring = emptyWindowRing();
  for (const slot of kw.slots.values()) {
    if (!(slot.window instanceof TimeWindow)) throw new Error(`window operator snapshot: ${String(slot.window)} is not a time window, so it cannot be restored into a tumbling or sliding window`);
    if (slot.contents !== undefined) ringInsert(ring, slot.window.start, slot.contents);
    if (slot.windowState !== undefined) {
      ring.scoped ??= emptyKeyWindows();
      ring.scoped.slots.set(slot.window.id, { window: slot.window, contents: undefined, eventTimes: undefined, processingTimes: undefined, triggerState: undefined, windowState: slot.windowState });
    }
  }
  return ring;
}
