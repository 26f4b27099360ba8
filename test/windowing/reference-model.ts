// Brute-force reference semantics for the golden tests, written without weir's windowing code:
// windows are found by enumerating the grid, watermarks are replayed from the input order, and
// each window's firings follow the trigger's rule stated in plain terms. Slow on purpose; small inputs only.

/** What a window subtask sees from one upstream channel, in order. */
export type TraceItem<E> = { kind: "element"; value: E; timestamp: number } | { kind: "watermark"; time: number };

/**
 * The trace of a single-channel pipeline whose punctuated generator emits "highest timestamp so far −
 * bound − 1" after every element (increases only, like the timestamps operator), and +∞ at the end.
 */
export function punctuatedTrace<E>(events: readonly E[], timestampOf: (e: E) => number, boundMs: number): TraceItem<E>[] {
  const trace: TraceItem<E>[] = [];
  let highest = -Infinity;
  let emitted = -Infinity;
  for (const value of events) {
    const timestamp = timestampOf(value);
    trace.push({ kind: "element", value, timestamp });
    highest = Math.max(highest, timestamp);
    if (highest - boundMs - 1 > emitted) {
      emitted = highest - boundMs - 1;
      trace.push({ kind: "watermark", time: emitted });
    }
  }
  trace.push({ kind: "watermark", time: Infinity });
  return trace;
}

/** A grid of windows: starts at offset + k·slide, each `size` long (tumbling: slide = size). */
export interface Grid {
  size: number;
  slide: number;
  offset?: number;
}

/** Every window of the grid that contains `ts`, by checking every candidate start near it (latest first). */
export function windowsContaining(ts: number, grid: Grid): [number, number][] {
  const offset = grid.offset ?? 0;
  const found: [number, number][] = [];
  const first = Math.floor((ts - offset - grid.size) / grid.slide) - 1;
  const last = Math.floor((ts - offset) / grid.slide) + 1;
  for (let k = last; k >= first; k--) {
    const start = k * grid.slide + offset;
    if (start <= ts && ts < start + grid.size) found.push([start, start + grid.size]);
  }
  return found;
}

export interface Firing<E> {
  key: string;
  start: number;
  end: number;
  /** The window's elements at the firing, in arrival order. */
  elements: E[];
}

export interface WindowingResult<E> {
  firings: Firing<E>[];
  /** Elements too late for every window they belong to (side output or dropped). */
  late: E[];
}

interface ModelWindow<E> {
  key: string;
  start: number;
  end: number;
  elements: E[];
}

/**
 * Event-time windows with the default trigger: a window fires when the watermark first reaches
 * its last timestamp (end − 1), and once more for each element it receives after that; it is
 * gone once the watermark reaches end − 1 + lateness, and elements for it are then late. With
 * `purge`, a firing empties the window (PurgingTrigger).
 */
export function eventTimeWindowing<E>(trace: readonly TraceItem<E>[], keyOf: (e: E) => string, grid: Grid, lateness = 0, purge = false): WindowingResult<E> {
  const windows = new Map<string, ModelWindow<E>>();
  const firings: Firing<E>[] = [];
  const late: E[] = [];
  let watermark = -Infinity;
  const fire = (w: ModelWindow<E>) => {
    if (w.elements.length === 0) return;
    firings.push({ key: w.key, start: w.start, end: w.end, elements: [...w.elements] });
    if (purge) w.elements = [];
  };
  for (const item of trace) {
    if (item.kind === "watermark") {
      if (item.time <= watermark) continue;
      const previous = watermark;
      watermark = item.time;
      for (const w of windows.values()) if (w.end - 1 > previous && w.end - 1 <= watermark) fire(w);
      continue;
    }
    const key = keyOf(item.value);
    let kept = false;
    for (const [start, end] of windowsContaining(item.timestamp, grid)) {
      if (end - 1 + lateness <= watermark) continue; // the window is gone (or was never created in time)
      const id = `${key}|${start}`;
      const w = windows.get(id) ?? { key, start, end, elements: [] };
      windows.set(id, w);
      w.elements.push(item.value);
      kept = true;
      if (end - 1 <= watermark) fire(w); // a late firing
    }
    if (!kept && item.timestamp + lateness <= watermark) late.push(item.value);
  }
  return { firings, late };
}

/** The elements of `trace`, in order. */
export function elementsOf<E>(trace: readonly TraceItem<E>[]): E[] {
  return trace.flatMap((item) => (item.kind === "element" ? [item.value] : []));
}

export interface Session<E> {
  key: string;
  start: number;
  end: number;
  elements: E[];
}

/**
 * Sessions when no element is late: per key, windows [t, t + gap(e)) that overlap or touch chain
 * into one session (found by sorting and sweeping).
 */
export function sessions<E>(events: readonly E[], keyOf: (e: E) => string, timestampOf: (e: E) => number, gapOf: (e: E) => number): Session<E>[] {
  const byKey = new Map<string, E[]>();
  for (const e of events) byKey.set(keyOf(e), [...(byKey.get(keyOf(e)) ?? []), e]);
  const result: Session<E>[] = [];
  for (const [key, list] of byKey) {
    const sorted = [...list].sort((a, b) => timestampOf(a) - timestampOf(b));
    let current: Session<E> | undefined;
    for (const e of sorted) {
      const start = timestampOf(e);
      const end = start + gapOf(e);
      if (current && start <= current.end) {
        current.end = Math.max(current.end, end);
        current.elements.push(e);
      } else {
        if (current) result.push(current);
        current = { key, start, end, elements: [e] };
      }
    }
    if (current) result.push(current);
  }
  return result;
}

/** Per key, in arrival order: after every `slide`-th element, the last `size` elements (count windows). */
export function countWindows<E>(events: readonly E[], keyOf: (e: E) => string, size: number, slide: number, purge: boolean): { key: string; elements: E[] }[] {
  const seen = new Map<string, E[]>();
  const out: { key: string; elements: E[] }[] = [];
  for (const e of events) {
    const key = keyOf(e);
    const list = [...(seen.get(key) ?? []), e];
    seen.set(key, list);
    if (purge) {
      if (list.length === size) {
        out.push({ key, elements: list });
        seen.set(key, []);
      }
    } else if (list.length % slide === 0) {
      out.push({ key, elements: list.slice(Math.max(0, list.length - size)) });
    }
  }
  return out;
}

/** A small deterministic generator (an LCG), so inputs are the same on every run and in every process. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** JSON texts, sorted: for comparing results whose order across subtasks is not deterministic. */
export function sortedJson<T>(values: readonly T[]): string[] {
  return values.map((v) => JSON.stringify(v)).sort();
}
