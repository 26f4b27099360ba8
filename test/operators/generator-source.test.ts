// The generator source's reader: one split emits its stride in order; restored splits are read
// round robin until each ends; its snapshot holds the splits still open.

import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.ts";
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
