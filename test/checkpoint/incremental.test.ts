// Incremental checkpoints on the LMDB backend: after the first (full) snapshot each checkpoint
// writes only what changed, builds on the earlier ones, and a restore applies the chain. A map
// throws once after checkpoints completed; keyed counts stay exactly-once, and delta snapshots
// were taken (counted). Retention keeps what the newest checkpoint still builds on (pure).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedExecutor, StreamExecutionEnvironment } from "../../src/index.ts";
import { range, RunningCount, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { retainCheckpoints } from "../../src/checkpoint/retention.ts";
import { heldSource } from "./held-source.ts";

const dir = mkdtempSync(join(tmpdir(), "weir-incremental-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = 400;
const EVENTS = 16_000;

class FailOnce {
  // Shared on purpose by every subtask's copy: reached through a function field, which copies keep.
  private readonly sharedRef: () => { failed: number; completed: number };
  constructor(shared: { failed: number; completed: number }) {
    this.sharedRef = () => shared;
  }
  get shared(): { failed: number; completed: number } {
    return this.sharedRef();
  }
  map(value: number): number {
    if (this.shared.failed === 0 && this.shared.completed >= 4) {
      this.shared.failed += 1;
      throw new Error("injected failure after incremental checkpoints");
    }
    return value;
  }
  notifyCheckpointComplete(): void {
    this.shared.completed += 1;
  }
}

describe("incremental checkpoints", () => {
  it("LMDB state checkpointed as deltas restores from the chain after a failure: counts exactly-once", async () => {
    const shared = { failed: 0, completed: 0 };
    const metrics = new MetricRegistry();
    const env = new StreamExecutionEnvironment({ parallelism: 2, executor: new EmbeddedExecutor({ metrics }) });
    env.setStateBackend("lmdb", join(dir, "state"), { incremental: true });
    env.enableCheckpointing(30).getCheckpointConfig().setCheckpointStorage(`file://${join(dir, "checkpoints")}`);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const out = env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 4, end: () => shared.failed > 0 }), "Numbers")
      .map(new FailOnce(shared))
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .collect();
    await env.execute("incremental");
    expect(shared.failed).toBe(1);
    expect(metrics.sum("weir_checkpoint_incremental_snapshots_total")).toBeGreaterThan(0);
    expect({ ...tally(out.values, totalsPerKey(range(EVENTS), KEYS)), results: out.values.length }).toEqual({ lost: 0, duplicated: 0, results: EVENTS });
  });

  it("incremental checkpoints need the LMDB backend", () => {
    expect(() => new StreamExecutionEnvironment().setStateBackend("heap", undefined, { incremental: true })).toThrow(/need the "lmdb" backend/);
  });

  it("retention keeps the older checkpoints the newest still builds on, and drops them once a full one is kept", () => {
    let kept = retainCheckpoints([], { id: 1, references: [] }, 1).kept;
    const second = retainCheckpoints(kept, { id: 2, references: [1] }, 1);
    expect(second).toEqual({ kept: [{ id: 1, references: [] }, { id: 2, references: [1] }], discard: [] });
    const third = retainCheckpoints(second.kept, { id: 3, references: [1, 2] }, 1);
    expect(third.discard).toEqual([]);
    kept = third.kept;
    const full = retainCheckpoints(kept, { id: 4, references: [] }, 1);
    expect(full).toEqual({ kept: [{ id: 4, references: [] }], discard: [1, 2, 3] });
  });
});
