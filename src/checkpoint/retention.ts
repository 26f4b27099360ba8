// Which completed checkpoints to keep: the newest `retained` (Flink's state.checkpoints.num-retained,
// default 1) and the older ones they still build on (incremental checkpoints); the others are
// discarded. Pure: receives what is kept and what completed, returns what to keep and to discard.

/** Flink's default for state.checkpoints.num-retained. */
export const DEFAULT_RETAINED_CHECKPOINTS = 1;

/** Throws unless `retained` is an integer of at least 1 (a checkpoint to restore from must remain). */
export function checkRetainedCount(retained: number): void {
  if (!Number.isSafeInteger(retained) || retained < 1) {
    throw new Error(`the number of retained checkpoints must be an integer of at least 1 (got ${retained}); 1 keeps only the latest`);
  }
}

/** A completed checkpoint and the earlier ones whose state files it builds on (incremental checkpoints). */
export interface KeptCheckpoint {
  id: number;
  references: readonly number[];
}

/**
 * Retention with incremental checkpoints: the newest `retained` are kept, and so is every older
 * one they still build on; the rest are discarded.
 * @example
 * retainCheckpoints([{ id: 3, references: [] }, { id: 4, references: [3] }], { id: 5, references: [3, 4] }, 1);
 * // { kept: [3, 4, 5] (5 builds on both), discard: [] }
 */
export function retainCheckpoints(kept: readonly KeptCheckpoint[], completed: KeptCheckpoint, retained = DEFAULT_RETAINED_CHECKPOINTS): { kept: KeptCheckpoint[]; discard: number[] } {
  checkRetainedCount(retained);
  const all = [...kept.filter((k) => k.id !== completed.id), completed].sort((a, b) => a.id - b.id);
  const newest = all.slice(-retained);
  const needed = new Set([...newest.map((k) => k.id), ...newest.flatMap((k) => k.references)]);
  return { kept: all.filter((k) => needed.has(k.id)), discard: all.filter((k) => !needed.has(k.id)).map((k) => k.id) };
}
