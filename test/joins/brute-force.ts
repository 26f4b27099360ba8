// Expected join results computed the slow, obvious way: nested loops over the whole input of
// both sides, with windows enumerated over the whole time range. Nothing here uses weir's code.

import type { Event } from "./join-inputs.ts";

export interface Pair {
  left: string;
  right: string;
  /** The output record's timestamp. */
  ts: number;
}

export interface Interval {
  lower: number;
  upper: number;
  lowerExclusive?: boolean;
  upperExclusive?: boolean;
}

/** Every (left, right) of equal keys with right.ts within [left.ts + lower, left.ts + upper] (ends per exclusivity). */
export function intervalJoin(lefts: readonly Event[], rights: readonly Event[], b: Interval): Pair[] {
  const out: Pair[] = [];
  for (const l of lefts) {
    for (const r of rights) {
      if (l.key !== r.key) continue;
      const low = l.ts + b.lower;
      const high = l.ts + b.upper;
      const aboveLow = b.lowerExclusive ? r.ts > low : r.ts >= low;
      const belowHigh = b.upperExclusive ? r.ts < high : r.ts <= high;
      if (aboveLow && belowHigh) out.push({ left: l.id, right: r.id, ts: Math.max(l.ts, r.ts) });
    }
  }
  return out;
}

export interface TimeWindow {
  start: number;
  end: number;
}

/** Every window [start, start + size) with start a multiple of `slide` that can hold any of the timestamps. */
export function slidingWindows(timestamps: readonly number[], size: number, slide: number): TimeWindow[] {
  const min = Math.min(...timestamps);
  const max = Math.max(...timestamps);
  const out: TimeWindow[] = [];
  for (let start = Math.floor((min - size) / slide) * slide; start <= max; start += slide) out.push({ start, end: start + size });
  return out;
}

/**
 * Per key, the sessions of both sides together: timestamps sorted, split where the next one is
 * more than `gap` after the previous (a session of [t, t + gap) windows that touch or overlap).
 */
export function sessionWindows(lefts: readonly Event[], rights: readonly Event[], gap: number): { key: string; window: TimeWindow }[] {
  const byKey = new Map<string, number[]>();
  for (const e of [...lefts, ...rights]) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.ts]);
  const out: { key: string; window: TimeWindow }[] = [];
  for (const [key, timestamps] of byKey) {
    const sorted = [...timestamps].sort((a, b) => a - b);
    let start = sorted[0];
    let last = sorted[0];
    for (const ts of sorted.slice(1)) {
      if (ts > last + gap) {
        out.push({ key, window: { start, end: last + gap } });
        start = ts;
      }
      last = ts;
    }
    out.push({ key, window: { start, end: last + gap } });
  }
  return out;
}

const within = (e: Event, w: TimeWindow) => e.ts >= w.start && e.ts < w.end;

/** The window join over fixed windows: every (left, right) of equal keys in the same window, at window end − 1. */
export function windowJoin(lefts: readonly Event[], rights: readonly Event[], windows: readonly TimeWindow[]): Pair[] {
  const out: Pair[] = [];
  for (const w of windows) {
    for (const l of lefts) {
      for (const r of rights) {
        if (l.key === r.key && within(l, w) && within(r, w)) out.push({ left: l.id, right: r.id, ts: w.end - 1 });
      }
    }
  }
  return out;
}

/** The window join over sessions: every (left, right) of the session's key within it. */
export function sessionJoin(lefts: readonly Event[], rights: readonly Event[], sessions: readonly { key: string; window: TimeWindow }[]): Pair[] {
  const out: Pair[] = [];
  for (const { key, window } of sessions) {
    for (const l of lefts) {
      for (const r of rights) {
        if (l.key === key && r.key === key && within(l, window) && within(r, window)) out.push({ left: l.id, right: r.id, ts: window.end - 1 });
      }
    }
  }
  return out;
}

/** One coGroup call: a key's records of each side in one window (ids sorted), for windows holding any. */
export interface Group {
  key: string;
  lefts: string[];
  rights: string[];
  ts: number;
}

export function coGroup(lefts: readonly Event[], rights: readonly Event[], windows: readonly { key?: string; window: TimeWindow }[]): Group[] {
  const keys = [...new Set([...lefts, ...rights].map((e) => e.key))];
  const out: Group[] = [];
  for (const { key: only, window } of windows) {
    for (const key of only === undefined ? keys : [only]) {
      const l = lefts.filter((e) => e.key === key && within(e, window)).map((e) => e.id);
      const r = rights.filter((e) => e.key === key && within(e, window)).map((e) => e.id);
      if (l.length + r.length > 0) out.push({ key, lefts: l.sort(), rights: r.sort(), ts: window.end - 1 });
    }
  }
  return out;
}
