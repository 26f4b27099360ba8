// The Nexmark source's rate follows the splits a reader holds, so a job restored at another
// parallelism keeps its rate.

import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import { nexmarkConfig, nexmarkSource } from "../../src/nexmark/index.ts";
import type { SourceOutput } from "../../src/operators/source.ts";

/** How many events a reader has emitted when `pollNext` first says "nothing" after one simulated second. */
function emittedInOneSecond(restoredSplits: unknown[] | undefined, subtaskIndex: number, parallelism: number): number {
  const clock = new SimulatedClock(0);
  const reader = nexmarkSource(nexmarkConfig({ seed: 1 }), { events: 1_000_000, ratePerSecond: 1_000 }).createReader({ subtaskIndex, parallelism, clock, restoredSplits });
  let emitted = 0;
  const output: SourceOutput<unknown> = { collect: () => void (emitted += 1), collectSide: () => undefined, forSplit: () => output, releaseSplit: () => undefined };
  reader.pollNext(output);
  clock.advanceTo(1_000);
  while (reader.pollNext(output) === "more");
  return emitted;
}

describe("nexmark source rate", () => {
  it("a fresh reader of subtask 0 of 2 gets half the rate", () => {
    expect(emittedInOneSecond(undefined, 0, 2)).toBe(501);
  });

  it("after a rescale from 2 to 3 subtasks a reader with one of the 2 splits keeps half the rate", () => {
    expect(emittedInOneSecond([{ firstEventId: 0, events: 500_000, next: 0 }], 0, 3)).toBe(501);
  });

  it("after a rescale from 2 to 1 subtask the reader with both splits gets the whole rate", () => {
    const both = [
      { firstEventId: 0, events: 500_000, next: 0 },
      { firstEventId: 500_000, events: 500_000, next: 0 },
    ];
    expect(emittedInOneSecond(both, 0, 1)).toBe(1_001);
  });
});
