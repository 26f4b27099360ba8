// Inputs for the join golden tests: keyed events with event-time timestamps, out of order by a
// known bound, generated from a seed (the same every run), and the sources that emit them.

import { WatermarkStrategy, type Source } from "../../src/index.ts";

export interface Event {
  key: string;
  id: string;
  ts: number;
}

/** A small seeded generator (mulberry32): deterministic, so a failing case can be rerun. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface EventOptions {
  prefix: string;
  count: number;
  keys: number;
  seed: number;
  /** Event i is near `start + i * step`. */
  start?: number;
  step?: number;
  /** Each timestamp moves by up to ± jitter ms, so events are out of order by up to 2 × jitter. */
  jitter?: number;
}

export function events({ prefix, count, keys, seed, start = 0, step = 10, jitter = 0 }: EventOptions): Event[] {
  const random = seeded(seed);
  const out: Event[] = [];
  for (let i = 0; i < count; i++) {
    const key = `k${Math.floor(random() * keys)}`;
    const shift = Math.round((random() * 2 - 1) * jitter);
    out.push({ key, id: `${prefix}${i}`, ts: Math.max(0, start + i * step + shift) });
  }
  return out;
}

/** The largest amount by which a later event's timestamp falls behind an earlier one's. */
export function outOfOrderness(input: readonly Event[]): number {
  let max = -Infinity;
  let worst = 0;
  for (const e of input) {
    worst = Math.max(worst, max - e.ts);
    max = Math.max(max, e.ts);
  }
  return worst;
}

export function eventTime(boundMs: number): WatermarkStrategy<Event> {
  return WatermarkStrategy.forBoundedOutOfOrderness<Event>(boundMs).withTimestampAssigner((e) => e.ts);
}

/** Lets test code hold sources back until the job has reached a point it can observe. */
export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

/** `safetyMs` opens the gate anyway, so a gate nobody opens fails an assertion instead of hanging the test. */
export function gate(safetyMs = 10_000): Gate {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const safety = setTimeout(() => release(), safetyMs);
  void opened.then(() => clearTimeout(safety));
  return { opened, open: () => release() };
}

/**
 * A non-parallel source that emits `first` at once, waits for the gate, then emits `second` and ends.
 * The gate is an in-process promise: this only works on the embedded cluster.
 */
export function phasedSource<T>(first: readonly T[], second: readonly T[], held: Gate): Source<T> {
  return {
    parallel: false,
    createReader: () => {
      let phase: "first" | "waiting" | "second" = "first";
      let opened = false;
      void held.opened.then(() => (opened = true));
      return {
        pollNext(output) {
          if (phase === "first") {
            for (const record of first) output.collect(record);
            phase = "waiting";
          }
          if (!opened) return "nothing";
          for (const record of second) output.collect(record);
          phase = "second";
          return "end";
        },
        available: () => held.opened,
      };
    },
  };
}
