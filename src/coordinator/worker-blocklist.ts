// Workers the resource manager will not offer slots on for a while, as pure functions over an
// immutable value: a worker that took slots but did not acknowledge the subtasks deployed there in
// time (a hung process, or a stranger that registered to attract work). Each block lasts twice as
// long as the one before, from BLOCK_MS up to MAX_BLOCK_MS; a worker that behaved for a whole
// MAX_BLOCK_MS since its last block starts again from BLOCK_MS.

/** The first block's length (ms). */
export const BLOCK_MS = 60_000;
/** The longest block (ms). */
export const MAX_BLOCK_MS = 60 * 60_000;

export interface BlockEntry {
  until: number;
  /** How long the latest block lasts (ms): the next one lasts twice as long. */
  lengthMs: number;
}

export type WorkerBlocklist = Readonly<Record<string, BlockEntry>>;

export const emptyBlocklist: WorkerBlocklist = {};

/**
 * Blocks `workerId` from `now`: for BLOCK_MS the first time, twice the previous block's length if
 * that one ended less than MAX_BLOCK_MS ago.
 * @example
 * const once = blockWorker(emptyBlocklist, "w1", 0);            // w1 until 60 000
 * const twice = blockWorker(once, "w1", 70_000);                 // w1 until 190 000 (120 s)
 */
export function blockWorker(list: WorkerBlocklist, workerId: string, now: number): WorkerBlocklist {
  const previous = list[workerId];
  const repeat = previous !== undefined && now - previous.until < MAX_BLOCK_MS;
  const lengthMs = repeat ? Math.min(previous.lengthMs * 2, MAX_BLOCK_MS) : BLOCK_MS;
  return { ...list, [workerId]: { until: now + lengthMs, lengthMs } };
}

export function isBlocked(list: WorkerBlocklist, workerId: string, now: number): boolean {
  const entry = list[workerId];
  return entry !== undefined && now < entry.until;
}

/** Forgets blocks that ended more than MAX_BLOCK_MS ago (they no longer lengthen the next one). */
export function pruneBlocklist(list: WorkerBlocklist, now: number): WorkerBlocklist {
  const kept = Object.entries(list).filter(([, entry]) => now - entry.until < MAX_BLOCK_MS);
  return kept.length === Object.keys(list).length ? list : Object.fromEntries(kept);
}
