// Exactly-once across a failure, embedded (Flink's style: a map that throws once after a
// checkpoint with real state has completed, a keyed counting job, and a validating sink). Every
// key's running count must be seen exactly once per value 1..n: lost = 0 and duplicated = 0,
// against an expectation computed here from the input alone.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { heldSource } from "./held-source.ts";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { range, RunningCount, tally, totalsPerKey } from "../fixtures/running-counts.ts";

const KEYS = 7;
const EVENTS = 6_000;

/** Throws once, on its first record after a checkpoint completed; the switch is shared by every copy and attempt. */
class FailOnceAfterCheckpoint {
  // Shared on purpose by every subtask's copy: reached through a function field, which copies keep.
  private readonly sharedRef: () => { armed: boolean; failed: number; completedBeforeFailure: number };
  constructor(shared: { armed: boolean; failed: number; completedBeforeFailure: number }) {
    this.sharedRef = () => shared;
  }
  get shared(): { armed: boolean; failed: number; completedBeforeFailure: number } {
    return this.sharedRef();
  }
  map(value: number): number {
    if (this.shared.armed && this.shared.failed === 0) {
      this.shared.failed += 1;
      throw new Error("injected failure after a checkpoint");
    }
    return value;
  }
  notifyCheckpointComplete(): void {
    this.shared.completedBeforeFailure += this.shared.failed === 0 ? 1 : 0;
    if (this.shared.completedBeforeFailure >= 2) this.shared.armed = true;
  }
}

describe("failover from a checkpoint, embedded", () => {
  it.each(["heap", "lmdb"] as const)("a map that throws once after a completed checkpoint: exactly-once keyed counts on the %s backend, lost = 0 and duplicated = 0", async (backend) => {
    const shared = { armed: false, failed: 0, completedBeforeFailure: 0 };
    const files = mkdtempSync(join(tmpdir(), "weir-file-sink-failover-"));
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.setStateBackend(backend);
    env.enableCheckpointing(30);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const counts = env
      // The second half waits for two completed checkpoints; the source ends once the failure happened.
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.armed, end: () => shared.failed > 0 }), "Numbers")
      .map(new FailOnceAfterCheckpoint(shared))
      .keyBy((v) => v % KEYS)
      .process(new RunningCount());
    // The file sink rolls its part files back to the restored checkpoint's lengths.
    counts.writeAsNdjson(files);
    const out = counts.collect();
    await env.execute("failover");
    expect(shared.failed).toBe(1);
    expect(shared.completedBeforeFailure).toBeGreaterThanOrEqual(2);
    expect(tally(out.values, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(out.values).toHaveLength(EVENTS);
    const written = readdirSync(files).flatMap((name) => readFileSync(join(files, name), "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as { key: number; count: number }));
    expect(tally(written, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(written).toHaveLength(EVENTS);
    rmSync(files, { recursive: true, force: true });
  });
});
