// The built-in readers' pollBatch: it emits what as many pollNext calls would, in the same order,
// never more than its bound, and a snapshot taken between two batches restores to exactly the
// records not yet emitted (none lost, none twice).

import { describe, expect, it } from "vitest";
import { SimulatedClock, systemClock } from "../../src/core/clock.ts";
import { collectionSource, generatorSource, sequenceSource, type InputStatus, type Source, type SourceOutput, type SourceReader } from "../../src/operators/source.ts";

const sources: { name: string; source: Source<number>; parallelism: number }[] = [
  { name: "a generator with a count", source: generatorSource((i) => i * 10, { count: 1_003 }), parallelism: 3 },
  { name: "a sequence", source: sequenceSource(5, 1_006), parallelism: 3 },
  { name: "a collection", source: collectionSource(Array.from({ length: 1_001 }, (_, i) => 1_000 - i)), parallelism: 1 },
];

describe("batch-emitting readers", () => {
  for (const { name, source, parallelism } of sources) {
    for (const max of [1, 7, 128]) {
      it(`${name}: pollBatch with a bound of ${max} emits what pollNext emits, in order, at most ${max} a call`, () => {
        for (let subtaskIndex = 0; subtaskIndex < parallelism; subtaskIndex++) {
          const expected = drainOneByOne(source.createReader({ subtaskIndex, parallelism, clock: systemClock }));
          const { records, perCall, statuses } = drainInBatches(source.createReader({ subtaskIndex, parallelism, clock: systemClock }), max);
          expect(records).toEqual(expected);
          expect(Math.max(...perCall)).toBeLessThanOrEqual(max);
          expect(statuses.at(-1)).toBe("end");
          expect(statuses.slice(0, -1).every((s) => s === "more")).toBe(true);
        }
      });
    }

    it(`${name}: a snapshot between any two batches restores to exactly the records not yet emitted`, () => {
      for (let subtaskIndex = 0; subtaskIndex < parallelism; subtaskIndex++) {
        const expected = drainOneByOne(source.createReader({ subtaskIndex, parallelism, clock: systemClock }));
        const reader = source.createReader({ subtaskIndex, parallelism, clock: systemClock });
        const emitted: number[] = [];
        const output = plainOutput((n) => void emitted.push(n));
        for (let status: InputStatus = "more", call = 1; status === "more"; call++) {
          status = reader.pollBatch!(output, 37);
          if (call % 5 !== 0) continue;
          const restored = source.createReader({ subtaskIndex, parallelism, clock: systemClock, restoredSplits: reader.snapshotState!(call) });
          expect([...emitted, ...drainOneByOne(restored)]).toEqual(expected);
        }
      }
    });
  }

  it("a generator restored with several splits reads them round robin in batches, as record by record", () => {
    const restoredSplits = [
      { next: 0, step: 2 },
      { next: 301, step: 2 },
    ];
    const source = generatorSource((i) => i, { count: 600 });
    const expected = drainOneByOne(source.createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock, restoredSplits }));
    const { records, perCall } = drainInBatches(source.createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock, restoredSplits }), 64);
    expect(records).toEqual(expected);
    expect(records.slice(0, 4)).toEqual([0, 301, 2, 303]);
    expect(Math.max(...perCall)).toBeLessThanOrEqual(64);
  });

  it("a rate-limited generator's batch stops at the rate: it returns nothing once the records allowed so far are out", () => {
    const clock = new SimulatedClock(1_000);
    // 100 records per second: one at the start, then one more every 10 ms.
    const reader = generatorSource((i) => i, { ratePerSecond: 100 }).createReader({ subtaskIndex: 0, parallelism: 1, clock });
    const emitted: number[] = [];
    const output = plainOutput((n) => void emitted.push(n));
    expect(reader.pollBatch!(output, 128)).toBe("nothing");
    expect(emitted).toEqual([0]);
    clock.advanceBy(50);
    expect(reader.pollBatch!(output, 128)).toBe("nothing");
    expect(emitted).toEqual([0, 1, 2, 3, 4, 5]);
    clock.advanceBy(1_000);
    expect(reader.pollBatch!(output, 3)).toBe("more");
    expect(emitted).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

function drainOneByOne(reader: SourceReader<number>): number[] {
  const records: number[] = [];
  const output = plainOutput((n) => void records.push(n));
  for (let status: InputStatus = "more"; status === "more"; ) status = reader.pollNext(output);
  return records;
}

function drainInBatches(reader: SourceReader<number>, max: number): { records: number[]; perCall: number[]; statuses: InputStatus[] } {
  const records: number[] = [];
  const perCall: number[] = [];
  const statuses: InputStatus[] = [];
  const output = plainOutput((n) => void records.push(n));
  for (let status: InputStatus = "more"; status === "more"; ) {
    const before = records.length;
    statuses.push((status = reader.pollBatch!(output, max)));
    perCall.push(records.length - before);
  }
  return { records, perCall, statuses };
}

function plainOutput(collect: (n: number) => void): SourceOutput<number> {
  const output: SourceOutput<number> = { collect, collectSide: () => undefined, forSplit: () => output, releaseSplit: () => undefined };
  return output;
}
