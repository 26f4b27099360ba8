// Pipelined-region failover: a job of two independent pipelines restarts only the pipeline whose
// task failed. Counted, not timed: the failing pipeline's functions are opened twice, the other's
// once, and both pipelines' keyed counts are exactly-once (lost = 0, duplicated = 0).

import { describe, expect, it } from "vitest";
import { heldSource } from "./held-source.ts";
import { RichMapFunction, StreamExecutionEnvironment } from "../../src/index.ts";
import { range, RunningCount, tally, totalsPerKey } from "../fixtures/running-counts.ts";

const KEYS = 5;
const EVENTS = 4_000;

interface Shared {
  opens: number;
  failed: number;
  completed: number;
  fail: boolean;
}

/** Counts its opens; when `fail` is set, throws once after two checkpoints completed. */
class Watched extends RichMapFunction<number, number> {
  // Shared on purpose by every subtask's copy: reached through a function field, which copies keep.
  private readonly sharedRef: () => Shared;
  constructor(shared: Shared) {
    super();
    this.sharedRef = () => shared;
  }
  get shared(): Shared {
    return this.sharedRef();
  }
  override open(): void {
    this.shared.opens += 1;
  }
  map(value: number): number {
    if (this.shared.fail && this.shared.failed === 0 && this.shared.completed >= 2) {
      this.shared.failed += 1;
      throw new Error("injected failure in one region");
    }
    return value;
  }
  notifyCheckpointComplete(): void {
    this.shared.completed += 1;
  }
}

describe("pipelined-region failover", () => {
  it("a failure in one of two independent pipelines restarts that pipeline only, and both stay exactly-once", async () => {
    const failing: Shared = { opens: 0, failed: 0, completed: 0, fail: true };
    const healthy: Shared = { opens: 0, failed: 0, completed: 0, fail: false };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(30);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    // Both sources run until the failure has happened; the failing one holds its second half until two checkpoints completed.
    const pipeline = (shared: Shared) =>
      env
        .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => !shared.fail || shared.completed >= 2, end: () => failing.failed > 0 }), "Numbers")
        .map(new Watched(shared))
        .keyBy((v) => v % KEYS)
        .process(new RunningCount())
        .collect();
    const a = pipeline(failing);
    const b = pipeline(healthy);
    await env.execute("two regions");
    expect(failing.failed).toBe(1);
    expect({ failingOpens: failing.opens, healthyOpens: healthy.opens }).toEqual({ failingOpens: 4, healthyOpens: 2 });
    const totals = totalsPerKey(range(EVENTS), KEYS);
    expect(tally(a.values, totals)).toEqual({ lost: 0, duplicated: 0 });
    expect(tally(b.values, totals)).toEqual({ lost: 0, duplicated: 0 });
  });
});
