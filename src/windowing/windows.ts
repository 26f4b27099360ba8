// Window types (Flink's TimeWindow and GlobalWindow) and the pure arithmetic behind them: where a
// window starts for a timestamp, how overlapping time windows merge (session windows), and how
// windows travel in snapshots. Owns no state; the assigners and the window operator build on it.

import type { StateSerializer } from "../core/state-descriptors.ts";

/**
 * A finite or infinite bucket of elements. Windows are map keys in window state and timers, so
 * equal windows must have equal `id`s.
 */
export interface Window {
  /** The largest timestamp that still belongs to this window (its results carry it). */
  maxTimestamp(): number;
  /** Identifies the window: equal windows, equal ids. */
  readonly id: string;
}

/**
 * The window start for `timestamp` in windows of `windowSize` shifted by `offset` (Flink's
 * `TimeWindow.getWindowStartWithOffset`): `ts - ((ts - offset + size) % size)`, with the remainder
 * taken so that negative timestamps still land in the window that contains them.
 * @example
 * getWindowStartWithOffset(7_500, 0, 5_000); // 5_000
 * getWindowStartWithOffset(-1, 0, 5_000); // -5_000
 */
export function getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
  const remainder = (timestamp - offset) % windowSize;
  // JavaScript's % keeps the dividend's sign, as Java's does: a negative remainder means one size back.
  return remainder < 0 ? timestamp - (remainder + windowSize) : timestamp - remainder;
}

/** A time interval [start, end): `end` is exclusive, so the last timestamp in it is `end - 1`. */
export class TimeWindow implements Window {
  private cachedId: string | undefined;

  constructor(readonly start: number, readonly end: number) {
    if (!(end > start)) throw new Error(`a TimeWindow needs end > start, got [${start}, ${end})`);
  }

  maxTimestamp(): number {
    return this.end - 1;
  }

  get id(): string {
    return (this.cachedId ??= `${this.start}|${this.end}`);
  }

  /** True if the windows overlap or touch (Flink counts touching windows as intersecting, so sessions chain). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: Window): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /** Same as the module function; kept on the class as in Flink. */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    return getWindowStartWithOffset(timestamp, offset, windowSize);
  }
}

/** The one window of GlobalWindows: it holds every element and never ends. */
export class GlobalWindow implements Window {
  private static readonly instance = new GlobalWindow();
  readonly id = "global";

  private constructor() {}

  static get(): GlobalWindow {
    return GlobalWindow.instance;
  }

  /** +∞, like Flink's Long.MAX_VALUE: only the final watermark of a bounded input reaches it. */
  maxTimestamp(): number {
    return Infinity;
  }

  toString(): string {
    return "GlobalWindow";
  }
}

/**
 * Windows in snapshots (Flink's TimeWindow.Serializer and GlobalWindow.Serializer): a TimeWindow as
 * `[start, end]`, the GlobalWindow as `"global"`. An assigner with its own window type overrides
 * `getWindowSerializer()`.
 */
export const builtInWindowSerializer: StateSerializer<Window> = {
  toSnapshot(window: Window): unknown {
    if (window instanceof TimeWindow) return [window.start, window.end];
    if (window instanceof GlobalWindow) return "global";
    throw new Error(`cannot snapshot window ${String(window)}: only TimeWindow and GlobalWindow are built in; give its assigner a getWindowSerializer()`);
  },
  fromSnapshot(data: unknown): Window {
    if (data === "global") return GlobalWindow.get();
    if (Array.isArray(data) && data.length === 2 && typeof data[0] === "number" && typeof data[1] === "number") return new TimeWindow(data[0], data[1]);
    throw new Error(`a window snapshot must be [start, end] or "global", got ${JSON.stringify(data)}`);
  },
};

/** Reports one merge: `toBeMerged` (two or more windows) become `mergeResult`. */
export type MergeCallback<W> = (toBeMerged: W[], mergeResult: W) => void;

/**
 * Merges overlapping (or touching) time windows, Flink's `TimeWindow.mergeWindows`: sort by start,
 * sweep, and report every group of two or more windows with the window covering them.
 * @example
 * mergeTimeWindows([new TimeWindow(0, 10), new TimeWindow(5, 15), new TimeWindow(20, 30)], (from, to) => …);
 * // reports [0,10) + [5,15) → [0,15); [20,30) stays alone and is not reported
 */
export function mergeTimeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const groups: { cover: TimeWindow; members: TimeWindow[] }[] = [];
  let current: { cover: TimeWindow; members: TimeWindow[] } | undefined;
  for (const candidate of sorted) {
    // Equal windows are one window (Flink keeps the members in a set).
    if (current?.members[current.members.length - 1].equals(candidate)) continue;
    if (current === undefined) current = { cover: candidate, members: [candidate] };
    else if (current.cover.intersects(candidate)) {
      current.cover = current.cover.cover(candidate);
      current.members.push(candidate);
    } else {
      groups.push(current);
      current = { cover: candidate, members: [candidate] };
    }
  }
  if (current !== undefined) groups.push(current);
  for (const group of groups) if (group.members.length > 1) callback(group.members, group.cover);
}
