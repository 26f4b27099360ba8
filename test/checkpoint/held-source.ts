// A parallel, checkpointed test source that makes failure tests independent of timing: it emits
// the first part of 0..count-1 at once, holds the rest until `release()` says so (e.g. "two
// checkpoints have completed"), and ends only when `end()` says so (e.g. "the failure happened").
// Its position is a list of stride splits, so restores resume exactly. In-process only (embedded).

import type { Source } from "../../src/index.ts";

export interface HeldSourceOptions {
  count: number;
  /** Records below this index flow at once; the rest wait for `release`. */
  holdFrom: number;
  release: () => boolean;
  end: () => boolean;
  /** Records per poll while flowing (small batches keep checkpoints between them). */
  batch?: number;
}

interface Split {
  next: number;
  step: number;
}

export function heldSource(options: HeldSourceOptions): Source<number> {
  const { count, holdFrom, release, end, batch = 50 } = options;
  return {
    parallel: true,
    createReader: ({ subtaskIndex, parallelism, restoredSplits }) => {
      const splits: Split[] = (restoredSplits as Split[] | undefined)?.map((s) => ({ ...s })) ?? [{ next: subtaskIndex, step: parallelism }];
      const wait = () => new Promise<void>((resolve) => setTimeout(resolve, 2));
      return {
        pollNext(output) {
          let emitted = 0;
          for (const split of splits) {
            while (split.next < count && emitted < batch && (split.next < holdFrom || release())) {
              output.collect(split.next);
              split.next += split.step;
              emitted += 1;
            }
          }
          const remaining = splits.some((s) => s.next < count);
          if (!remaining) return end() ? "end" : "nothing";
          return emitted > 0 ? "more" : "nothing";
        },
        available: wait,
        snapshotState: () => splits.filter((s) => s.next < count).map((s) => ({ ...s })),
      };
    },
  };
}
