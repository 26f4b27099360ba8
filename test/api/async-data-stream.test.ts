// AsyncDataStream end to end on the embedded cluster: ordered results in input order, unordered
// ones in completion order yet never across a watermark, the capacity counted at the function, a
// timeout failing the job with the operator's name, options checked when the job is defined, and
// a failure with requests in flight restored from a checkpoint with output exact (lost = 0,
// duplicated = 0).

import { describe, expect, it } from "vitest";
import { AsyncDataStream, ProcessFunction, StreamExecutionEnvironment, WatermarkStrategy, type Collector, type ProcessContext } from "../../src/index.ts";
import { heldSource } from "../checkpoint/held-source.ts";
import { range, RunningCount, tally, totalsPerKey } from "../fixtures/running-counts.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Later records answer sooner: without ordering, output would come out reversed in runs. */
const delayOf = (n: number) => 9 - (n % 10);

describe("AsyncDataStream", () => {
  it("orderedWait emits results in input order though requests complete out of order", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const completed: number[] = [];
    const lookup = async (n: number) => {
      await sleep(delayOf(n));
      completed.push(n);
      return `v${n}`;
    };
    const out = await AsyncDataStream.orderedWait(env.fromSequence(0, 299), lookup, { timeoutMs: 10_000, capacity: 20 }).executeAndCollect();
    expect(out).toEqual(range(300).map((n) => `v${n}`));
    expect(completed).not.toEqual(range(300)); // they did complete out of order
  });

  it("unorderedWait emits results in the order the requests completed", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const completed: number[] = [];
    const lookup = async (n: number) => {
      await sleep(delayOf(n));
      completed.push(n);
      return n;
    };
    const out = await AsyncDataStream.unorderedWait(env.fromSequence(0, 299), lookup, { timeoutMs: 10_000, capacity: 20 }).executeAndCollect();
    expect(out).toEqual(completed);
    expect(out).not.toEqual(range(300));
    expect([...out].sort((a, b) => a - b)).toEqual(range(300));
  });

  it("unorderedWait never lets a record overtake a watermark: no record is late downstream", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.setAutoWatermarkInterval(1);
    const lookup = async (n: number) => {
      await sleep(delayOf(n));
      return n;
    };
    const timed = env.fromSequence(0, 1999).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n));
    const seen = AsyncDataStream.unorderedWait(timed, lookup, { timeoutMs: 10_000, capacity: 30 })
      .process(new WatermarkCheck())
      .executeAndCollect();
    const out = await seen;
    expect(out).toHaveLength(2000);
    expect(out.filter((r) => r.late)).toEqual([]);
    // Watermarks did pass between the records (else the check above proves nothing).
    expect(out.filter((r) => r.watermark > -Infinity).length).toBeGreaterThan(0);
    expect(out.map((r) => r.n)).not.toEqual(range(2000));
  });

  it("never has more than `capacity` requests in flight per subtask, counted at the function", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    let inFlight = 0;
    let maxInFlight = 0;
    const lookup = async (n: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(n % 3);
      inFlight--;
      return [n, -n];
    };
    const out = await AsyncDataStream.unorderedWait(env.fromSequence(1, 500), lookup, { timeoutMs: 10_000, capacity: 7 }).executeAndCollect();
    expect(maxInFlight).toBe(7);
    expect(out).toHaveLength(1000);
    expect(new Set(out).size).toBe(1000);
  });

  it.each(["chained to its source", "behind a network edge"] as const)("a full queue blocks the subtask's input (%s): records wait in the network, not in the operator", async (where) => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const capacity = 4;
    let arrived = 0;
    let called = 0;
    let maxAhead = 0;
    const lookup = async (r: { n: number }) => {
      called++;
      maxAhead = Math.max(maxAhead, arrived - called);
      await sleep(1);
      return r.n;
    };
    // Large records keep frames small (a few records each), so one frame's worth is a small bound.
    const padded = env.fromSequence(1, 1500).map((n) => ({ n, pad: "x".repeat(4000) }));
    const input = (where === "chained to its source" ? padded : padded.rebalance()).map((r) => {
      arrived++;
      return r;
    });
    const out = await AsyncDataStream.unorderedWait(input, lookup, { timeoutMs: 10_000, capacity }).executeAndCollect();
    expect(out).toHaveLength(1500);
    // Without the block, every record would have reached the operator long before its request.
    expect(maxAhead).toBeLessThanOrEqual(capacity + 64);
  });

  it("a request that times out on its last attempt fails the job with an error naming the operator", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const never = (_n: number) => new Promise<string>(() => undefined);
    AsyncDataStream.orderedWait(env.fromSequence(1, 3), never, { timeoutMs: 20, retries: 1, retryDelayMs: 5 }).name("CustomerLookup").collect();
    await expect(env.execute("async-timeout")).rejects.toThrow(/CustomerLookup \(.*subtask 0\): an async request timed out after 20 ms \(2 attempts\)/);
  });

  it("retries a failing request and emits its result once", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const failures = new Map<number, number>();
    const flaky = async (n: number) => {
      const failed = failures.get(n) ?? 0;
      if (failed < 2) {
        failures.set(n, failed + 1);
        throw new Error(`busy ${n}`);
      }
      return n * 10;
    };
    const out = await AsyncDataStream.orderedWait(env.fromSequence(1, 50), flaky, { timeoutMs: 10_000, retries: 2, retryDelayMs: 1, retryBackoff: 2 }).executeAndCollect();
    expect([...out].sort((a, b) => a - b)).toEqual(range(50).map((n) => (n + 1) * 10));
  });

  it("options out of range are refused when the job is defined, naming the option", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const stream = env.fromSequence(1, 3);
    const fn = async (n: number) => n;
    expect(() => AsyncDataStream.orderedWait(stream, fn, { timeoutMs: 0 })).toThrow("AsyncDataStream.orderedWait(): timeoutMs must be a positive number of milliseconds, got 0");
    expect(() => AsyncDataStream.unorderedWait(stream, fn, { timeoutMs: 10, capacity: 0 })).toThrow("AsyncDataStream.unorderedWait(): capacity must be a positive integer, got 0");
    expect(() => AsyncDataStream.orderedWait(stream, fn, { timeoutMs: 10, retries: -1 })).toThrow("retries must be a non-negative integer");
    expect(() => AsyncDataStream.orderedWait(stream, fn, { timeoutMs: 10, retryBackoff: 0.5 })).toThrow("retryBackoff must be a number of at least 1");
  });
});

/** Marks each record late when its timestamp is not after the watermark it arrives under. */
class WatermarkCheck extends ProcessFunction<number, { n: number; late: boolean; watermark: number }> {
  processElement(n: number, ctx: ProcessContext, out: Collector<{ n: number; late: boolean; watermark: number }>): void {
    const watermark = ctx.timerService().currentWatermark();
    out.collect({ n, late: (ctx.timestamp() ?? Infinity) <= watermark, watermark });
  }
}

const KEYS = 5;
const EVENTS = 4_000;

interface Shared {
  armed: boolean;
  failed: number;
  completedBeforeFailure: number;
  /** The most requests in flight when a barrier reached the operator. */
  inFlightAtBarrier: number;
  inFlight: number;
}

/** A slow lookup that rejects once, with requests in flight, after two checkpoints completed. Shared through a function field, which copies keep. */
class FlakyLookup {
  private readonly sharedRef: () => Shared;
  constructor(shared: Shared) {
    this.sharedRef = () => shared;
  }
  get shared(): Shared {
    return this.sharedRef();
  }
  async asyncInvoke(n: number): Promise<number> {
    const shared = this.shared;
    shared.inFlight++;
    try {
      await sleep(n % 4);
      if (shared.armed && shared.failed === 0 && shared.inFlight > 1) {
        shared.failed += 1;
        throw new Error("injected failure with requests in flight");
      }
      return n;
    } finally {
      shared.inFlight--;
    }
  }
  initializeState(): void {}
  snapshotState(): void {
    this.shared.inFlightAtBarrier = Math.max(this.shared.inFlightAtBarrier, this.shared.inFlight);
  }
  notifyCheckpointComplete(): void {
    this.shared.completedBeforeFailure += this.shared.failed === 0 ? 1 : 0;
    if (this.shared.completedBeforeFailure >= 2) this.shared.armed = true;
  }
}

describe("AsyncDataStream across a failure", () => {
  it.each([
    ["ordered", "aligned"],
    ["unordered", "aligned"],
    ["unordered", "unaligned"],
  ] as const)("%s, %s checkpoints: requests in flight at a checkpoint are asked again after the restore; keyed counts downstream are exact, lost = 0 and duplicated = 0", async (mode, barriers) => {
    const shared: Shared = { armed: false, failed: 0, completedBeforeFailure: 0, inFlightAtBarrier: 0, inFlight: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(20);
    if (barriers === "unaligned") env.getCheckpointConfig().enableUnalignedCheckpoints();
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const numbers = env.fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 4, release: () => shared.armed, end: () => shared.failed > 0 }), "Numbers");
    const options = { timeoutMs: 10_000, capacity: 16 };
    const looked = mode === "ordered" ? AsyncDataStream.orderedWait(numbers, new FlakyLookup(shared), options) : AsyncDataStream.unorderedWait(numbers, new FlakyLookup(shared), options);
    const out = looked
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .collect();
    await env.execute(`async-failover-${mode}`);
    expect(shared.failed).toBe(1);
    expect(shared.inFlightAtBarrier).toBeGreaterThan(0);
    expect(tally(out.values, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(out.values).toHaveLength(EVENTS);
  });
});
