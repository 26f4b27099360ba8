// Retention as traces: checkpoints complete one after another, and after each the ids to discard
// are listed; the whole trace is compared at once.

import { describe, expect, it } from "vitest";
import { checkpointsToDiscard, onCheckpointCompleted } from "../../src/checkpoint/index.ts";

/** Feeds completed ids through retention; returns, per completion, the ids it discards. */
function trace(completed: number[], retained?: number): number[][] {
  let kept: number[] = [];
  return completed.map((id) => {
    const step = onCheckpointCompleted(kept, id, retained);
    kept = step.kept;
    return step.discard;
  });
}

describe("checkpoint retention", () => {
  it("keeps only the latest by default, discarding the previous one at each completion", () => {
    expect(trace([1, 2, 3, 5])).toEqual([[], [1], [2], [3]]);
  });

  it("keeps the newest N when num-retained is N", () => {
    expect(trace([1, 2, 3, 4, 7], 3)).toEqual([[], [], [], [1], [2]]);
  });

  it("discards nothing twice and ignores a repeated completion", () => {
    expect(trace([1, 2, 2, 3], 2)).toEqual([[], [], [], [1]]);
  });

  it("names, from a list of completed ids, all but the newest N, oldest first", () => {
    expect(checkpointsToDiscard([3, 4, 7, 9], 2)).toEqual([3, 4]);
    expect(checkpointsToDiscard([3, 4, 7, 9])).toEqual([3, 4, 7]);
    expect(checkpointsToDiscard([9], 5)).toEqual([]);
    expect(checkpointsToDiscard([], 1)).toEqual([]);
  });

  it("refuses to retain fewer than one checkpoint", () => {
    expect(() => checkpointsToDiscard([1, 2], 0)).toThrow("the number of retained checkpoints must be an integer of at least 1 (got 0); 1 keeps only the latest");
    expect(() => onCheckpointCompleted([], 1, 1.5)).toThrow(/got 1\.5/);
  });
});
