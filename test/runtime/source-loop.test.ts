// The source loop with a batch-emitting reader: a turn stays bounded by records (a barrier or a
// cancellation waits no longer than with one record a poll), a backpressured output stops the
// polls between two batches, and the reader's position at every turn's end is exactly what left.

import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.ts";
import { generatorSource, type SourceOutput, type SourceReader } from "../../src/operators/source.ts";
import { runSourceLoop, type SourceLoopHost } from "../../src/runtime/source-loop.ts";

const COUNT = 20_000;

/** A host that records each turn's records, and lets backpressure come and go by record count. */
class RecordingHost implements SourceLoopHost {
  readonly clock = systemClock;
  readonly records: number[] = [];
  readonly turns: number[] = [];
  /** The position snapshotted after each turn, with how many records had been emitted then. */
  readonly snapshots: { emitted: number; splits: unknown[] }[] = [];
  /** How many records past the point where backpressure began each backpressured turn still emitted. */
  readonly overshoots: number[] = [];
  private turnStart = 0;
  private pressureFrom = Infinity;
  stopAfterTurns = Infinity;
  /** As a subtask with async I/O chained to its source. */
  oneByOne = false;

  constructor(
    private readonly reader: SourceReader<number>,
    /** Backpressure starts every `pressureEvery` records (Infinity: never). */
    private readonly pressureEvery = Infinity,
  ) {}

  output(): SourceOutput<number> {
    const output: SourceOutput<number> = {
      collect: (n) => {
        this.records.push(n);
        if (this.pressureFrom === Infinity && this.records.length % this.pressureEvery === 0) this.pressureFrom = this.records.length;
      },
      collectSide: () => undefined,
      forSplit: () => output,
      releaseSplit: () => undefined,
    };
    return output;
  }
  shouldStop(): boolean {
    return this.turns.length >= this.stopAfterTurns;
  }
  isBackpressured(): boolean {
    return this.pressureFrom !== Infinity;
  }
  pollsOneByOne(): boolean {
    return this.oneByOne;
  }
  creditArrived(): Promise<void> {
    this.pressureFrom = Infinity;
    return Promise.resolve();
  }
  interruptible(wait: Promise<unknown>): Promise<void> {
    return wait.then(() => undefined);
  }
  beforeBatch(): void {
    this.turnStart = this.records.length;
  }
  afterBatch(): void {
    this.turns.push(this.records.length - this.turnStart);
    if (this.pressureFrom !== Infinity) this.overshoots.push(this.records.length - this.pressureFrom);
    // Where a barrier would be taken: between two turns, so between two pollBatch calls.
    this.snapshots.push({ emitted: this.records.length, splits: this.reader.snapshotState!(this.turns.length) });
  }
}

function generator() {
  return generatorSource((i) => i, { count: COUNT });
}

describe("the source loop with a batch-emitting reader", () => {
  it("emits every record once, in order, in turns of at most 2,048 records", async () => {
    const reader = generator().createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock });
    const host = new RecordingHost(reader);
    expect(await runSourceLoop(reader as SourceReader<unknown>, host.output() as SourceOutput<unknown>, host)).toBe("end");
    expect(host.records).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(Math.max(...host.turns)).toBeLessThanOrEqual(2048);
    expect(host.turns.length).toBeGreaterThanOrEqual(Math.ceil(COUNT / 2048));
  });

  it("a position taken between any two turns restores to exactly the records not yet emitted", async () => {
    const reader = generator().createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock });
    const host = new RecordingHost(reader, 3_000);
    await runSourceLoop(reader as SourceReader<unknown>, host.output() as SourceOutput<unknown>, host);
    expect(host.snapshots.length).toBeGreaterThan(5);
    for (const { emitted, splits } of host.snapshots) {
      const rest: number[] = [];
      const restored = generator().createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock, restoredSplits: splits });
      const output: SourceOutput<number> = { collect: (n) => void rest.push(n), collectSide: () => undefined, forSplit: () => output, releaseSplit: () => undefined };
      while (restored.pollNext(output) === "more");
      expect([...host.records.slice(0, emitted), ...rest]).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    }
  });

  it("a backpressured output stops the polls between two batches: at most one batch (128 records) more", async () => {
    const reader = generator().createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock });
    const host = new RecordingHost(reader, 1_000);
    await runSourceLoop(reader as SourceReader<unknown>, host.output() as SourceOutput<unknown>, host);
    expect(host.records).toHaveLength(COUNT);
    expect(host.overshoots.length).toBeGreaterThanOrEqual(COUNT / 1_000 - 1);
    expect(Math.max(...host.overshoots)).toBeLessThan(128);
  });

  it("with an operator chained that can block between two records, it is polled one record at a time: no record past the block", async () => {
    const reader = generator().createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock });
    const host = new RecordingHost(reader, 1_000);
    host.oneByOne = true;
    await runSourceLoop(reader as SourceReader<unknown>, host.output() as SourceOutput<unknown>, host);
    expect(host.records).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(host.overshoots.length).toBeGreaterThanOrEqual(COUNT / 1_000 - 1);
    expect(Math.max(...host.overshoots)).toBe(0);
  });

  it("a stop between two turns ends the loop there, and the reader is closed", async () => {
    const reader = generator().createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock });
    let closed = false;
    reader.close = () => {
      closed = true;
    };
    const host = new RecordingHost(reader);
    host.stopAfterTurns = 3;
    expect(await runSourceLoop(reader as SourceReader<unknown>, host.output() as SourceOutput<unknown>, host)).toBe("stopped");
    expect(host.turns).toEqual([2048, 2048, 2048]);
    expect(host.records).toHaveLength(3 * 2048);
    expect(closed).toBe(true);
  });
});
