// The generator source's reader: one split emits its stride in order; restored splits are read
// round robin until each ends; its snapshot holds the splits still open; the rate follows the splits a reader holds.

import { describe, expect, it } from "vitest";
import { SimulatedClock, systemClock } from "../../src/core/clock.ts";
import { generatorSource, type InputStatus, type SourceOutput } from "../../src/operators/source.ts";

function drain(restoredSplits: unknown[] | undefined, count: number, subtaskIndex = 0, parallelism = 1) {
  const reader = generatorSource((i) => i, { count }).createReader({ subtaskIndex, parallelism, clock: systemClock, restoredSplits });
  const out: number[] = [];
  const output = plainOutput((n: number) => void out.push(n));
  const statuses: InputStatus[] = [];
  for (let status: InputStatus = "more"; status === "more"; ) statuses.push((status = reader.pollNext(output)));
  return { out, statuses, reader };
}

describe("generator source", () => {
  it("a fresh reader of subtask 1 of 3 emits 1, 4, 7, … below count and then ends", () => {
    const { out, statuses } = drain(undefined, 11, 1, 3);
    expect(out).toEqual([1, 4, 7, 10]);
    expect(statuses.at(-1)).toBe("end");
  });

  it("restored splits are read round robin, each until it ends, and the snapshot keeps only open splits", () => {
    const reader = generatorSource((i) => i, { count: 9 }).createReader({ subtaskIndex: 0, parallelism: 2, clock: systemClock, restoredSplits: [{ next: 0, step: 2 }, { next: 5, step: 2 }] });
    const out: number[] = [];
    const output = plainOutput((n: number) => void out.push(n));
    for (let i = 0; i < 4; i++) reader.pollNext(output);
    expect(out).toEqual([0, 5, 2, 7]);
    expect(reader.snapshotState?.(1)).toEqual([{ next: 4, step: 2 }]);
    expect(drain([{ next: 0, step: 2 }, { next: 5, step: 2 }], 9).out).toEqual([0, 5, 2, 7, 4, 6, 8]);
  });
});

function plainOutput(collect: (n: number) => void): SourceOutput<number> {
  const output: SourceOutput<number> = { collect, collectSide: () => undefined, forSplit: () => output, releaseSplit: () => undefined };
  return output;
}

describe("generator source rate", () => {
  /** How many records a reader has emitted when `pollNext` first says "nothing" at `atMs`. */
  function emittedBy(restoredSplits: unknown[] | undefined, subtaskIndex: number, parallelism: number, atMs: number): number {
    const clock = new SimulatedClock(0);
    const reader = generatorSource((i) => i, { count: 1_000_000, ratePerSecond: 1_000 }).createReader({ subtaskIndex, parallelism, clock, restoredSplits });
    let emitted = 0;
    const output = plainOutput(() => void (emitted += 1));
    reader.pollNext(output);
    clock.advanceTo(atMs);
    while (reader.pollNext(output) === "more");
    return emitted;
  }

  it("a fresh reader of subtask 0 of 2 gets half the rate", () => {
    expect(emittedBy(undefined, 0, 2, 1_000)).toBe(501);
  });

  it("after a rescale from 2 to 3 subtasks a reader with one of the 2 splits keeps half the rate, so the job keeps its rate", () => {
    expect(emittedBy([{ next: 0, step: 2 }], 0, 3, 1_000)).toBe(501);
  });

  it("after a rescale from 2 to 1 subtask the reader with both splits gets the whole rate", () => {
    expect(emittedBy([{ next: 0, step: 2 }, { next: 1, step: 2 }], 0, 1, 1_000)).toBe(1_001);
  });
});
