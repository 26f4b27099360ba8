// When the file sink closes its in-progress part file and starts a new one (Flink's
// DefaultRollingPolicy): by size before a record would overflow it, by age, and by inactivity.
// Pure: the sink asks with the part's figures and the clock's time. A checkpoint barrier always
// rolls too (Flink's OnCheckpointRollingPolicy); the sink does that itself.

export interface FileSinkRollingOptions {
  /** Largest part file in bytes: a record that would make it larger goes into a new part (default 128 MiB). */
  maxBytes?: number;
  /** Longest a part file stays open, in ms (default 60 s; `Infinity`: no limit). */
  intervalMs?: number;
  /** A part file without a write for this long is closed, in ms (default 60 s; `Infinity`: never). */
  inactivityMs?: number;
}

export type RollingPolicy = Required<FileSinkRollingOptions>;

/** The figures of the part file being written. */
export interface OpenPart {
  bytes: number;
  openedAt: number;
  lastWriteAt: number;
}

export type RollReason = "size" | "interval" | "inactivity";

export const DEFAULT_ROLLING: RollingPolicy = { maxBytes: 128 * 1024 * 1024, intervalMs: 60_000, inactivityMs: 60_000 };

/** The policy with defaults filled in, or the problems with the options (each naming what to change). */
export function rollingPolicy(options: FileSinkRollingOptions | undefined): { policy: RollingPolicy; problems: string[] } {
  const problems: string[] = [];
  if (options !== undefined && (typeof options !== "object" || options === null)) return { policy: DEFAULT_ROLLING, problems: ["rolling must be an object like { maxBytes, intervalMs, inactivityMs }"] };
  const policy = { ...DEFAULT_ROLLING };
  for (const key of ["maxBytes", "intervalMs", "inactivityMs"] as const) {
    const value = options?.[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || Number.isNaN(value) || value <= 0) problems.push(`rolling.${key} must be a number above 0 (got ${String(value)})`);
    else policy[key] = value;
  }
  if (options?.maxBytes !== undefined && !Number.isFinite(options.maxBytes)) problems.push("rolling.maxBytes must be finite (leave it out for 128 MiB)");
  return { policy, problems };
}

/**
 * Whether a record of `recordChars` UTF-16 units might not fit, with `bufferedChars` waiting to be
 * written after the part's `bytes`: a unit takes at most 3 bytes in UTF-8. Only then does the sink
 * write what waits and count the record's bytes exactly (not per record: most are far from the limit).
 */
export function mightOverflow(part: OpenPart, bufferedChars: number, recordChars: number, policy: RollingPolicy): boolean {
  return part.bytes + 3 * (bufferedChars + recordChars) > policy.maxBytes;
}

/** Before a record of `recordBytes` is written (nothing else waiting): true when it goes into a new part (an empty part takes any record). */
export function rollsBeforeRecord(part: OpenPart, recordBytes: number, policy: RollingPolicy): boolean {
  return part.bytes > 0 && part.bytes + recordBytes > policy.maxBytes;
}

/** Whether the part is due to roll by time at `now`. */
export function timeRoll(part: OpenPart, now: number, policy: RollingPolicy): RollReason | undefined {
  if (now - part.openedAt >= policy.intervalMs) return "interval";
  if (now - part.lastWriteAt >= policy.inactivityMs) return "inactivity";
  return undefined;
}

/** When the part is next due to roll by time (`Infinity`: never), so the sink sets one timer. */
export function nextTimeRoll(part: OpenPart, policy: RollingPolicy): number {
  return Math.min(part.openedAt + policy.intervalMs, part.lastWriteAt + policy.inactivityMs);
}
