// Retention as traces: checkpoints complete one after another, and after each the ids to discard
// are listed; the whole trace is compared at once.

import { describe, expect, it } from "vitest";
import { retainCheckpoints, type KeptCheckpoint } from "../../src/checkpoint/index.ts";

/** Feeds completed ids (building on nothing) through retention; returns, per completion, the ids it discards. */
function trace(completed: number[], retained?: number): number[][] {
  let kept: KeptCheckpoint[] = [];
  return completed.map((id) => {
    const step = retainCheckpoints(kept, { id, references: [] }, retained);
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

  it("discards all but the newest N, oldest first, at once when N shrinks", () => {
    const kept: KeptCheckpoint[] = [3, 4, 7].map((id) => ({ id, references: [] }));
    expect(retainCheckpoints(kept, { id: 9, references: [] }, 2).discard).toEqual([3, 4]);
    expect(retainCheckpoints(kept, { id: 9, references: [] }).discard).toEqual([3, 4, 7]);
    expect(retainCheckpoints([], { id: 9, references: [] }, 5).discard).toEqual([]);
  });

  it("refuses to retain fewer than one checkpoint", () => {
    expect(() => retainCheckpoints([], { id: 1, references: [] }, 0)).toThrow("the number of retained checkpoints must be an integer of at least 1 (got 0); 1 keeps only the latest");
    expect(() => retainCheckpoints([], { id: 1, references: [] }, 1.5)).toThrow(/got 1\.5/);
  });
});
