// Failures injected where Flink's recovery tests inject them, embedded: while a snapshot is taken,
// while state is restored, in close() during a failover, and a failure in at-least-once mode.
// (A failure while processing records is covered by failover-embedded.test.ts.) Each job is a
// keyed count; its output is checked against an expectation computed here from the input alone,
// and the number of injected failures, restarts and completed checkpoints is counted through a
// probe shared by every copy and attempt of the user functions.

import { describe, expect, it } from "vitest";
import {
  ListStateDescriptor,
  RichMapFunction,
  StreamExecutionEnvironment,
  type CheckpointedFunction,
  type CheckpointListener,
  type FunctionInitializationContext,
  type FunctionSnapshotContext,
  type ListState,
} from "../../src/index.ts";
import { heldSource } from "./held-source.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";

const KEYS = 7;
const EVENTS = 6_000;
/** Completed checkpoints before a failure is injected, so that a restore has real state to read. */
const ARM_AFTER = 2;

type Injection = "snapshot" | "restore" | "close" | "processing";

/** What the user functions saw, shared by every subtask copy and every attempt (objects are copied shallowly). */
interface Probe {
  completed: Set<number>;
  aborted: Set<number>;
  /** Attempt numbers that opened the injecting function. */
  attempts: Set<number>;
  injected: number;
  /** The checkpoint whose snapshot threw. */
  failedCheckpointId?: number;
  /** A restore that threw: the failover after it restores again. */
  restoreFailures: number;
  restoredInitializations: number;
  closeFailures: number;
}

function newProbe(): Probe {
  return { completed: new Set(), aborted: new Set(), attempts: new Set(), injected: 0, restoreFailures: 0, restoredInitializations: 0, closeFailures: 0 };
}

/**
 * A pass-through map with operator state of its own (records seen by this subtask) that throws once
 * at the injection point, after ARM_AFTER checkpoints have completed. "restore" and "close" need a
 * failover to happen in: they throw once while processing as well, then at their own point.
 */
class InjectingMap extends RichMapFunction<number, number> implements CheckpointedFunction, CheckpointListener {
  private seen!: ListState<number>;
  private count = 0;
  // The probe is shared on purpose by every subtask's copy: reached through a function field, which copies keep.
  private readonly probeRef: () => Probe;
  constructor(private readonly where: Injection, probe: Probe) {
    super();
    this.probeRef = () => probe;
  }
  private get probe(): Probe {
    return this.probeRef();
  }

  initializeState(ctx: FunctionInitializationContext): void {
    this.seen = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<number>("seen"));
    if (!ctx.isRestored()) return;
    this.probe.restoredInitializations += 1;
    if (this.where === "restore" && this.probe.restoreFailures === 0) {
      this.probe.restoreFailures += 1;
      throw new Error("injected failure while restoring");
    }
    this.count = this.seen.get().reduce((a, b) => a + b, 0);
  }

  override open(): void {
    this.probe.attempts.add(this.getRuntimeContext().attempt);
  }

  map(value: number): number {
    this.count += 1;
    if (this.where !== "snapshot" && this.armed()) {
      this.probe.injected += 1;
      throw new Error("injected failure while processing");
    }
    return value;
  }

  snapshotState(ctx: FunctionSnapshotContext): void {
    if (this.where === "snapshot" && this.armed()) {
      this.probe.injected += 1;
      this.probe.failedCheckpointId = ctx.checkpointId;
      throw new Error("injected failure while snapshotting");
    }
    this.seen.update([this.count]);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.probe.completed.add(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    this.probe.aborted.add(checkpointId);
  }

  /** Closing after the injected failure (attempt 0 is being torn down) throws; closing at the end does not. */
  override close(): void {
    if (this.where === "close" && this.probe.injected > 0 && this.getRuntimeContext().attempt === 0) {
      this.probe.closeFailures += 1;
      throw new Error("injected failure while closing");
    }
  }

  private armed(): boolean {
    return this.probe.injected === 0 && this.probe.completed.size >= ARM_AFTER;
  }
}

/** lost / duplicated counts, and the input values that never reached the output. */
function judge(results: readonly KeyCount[]): { lost: number; duplicated: number; missingValues: number } {
  const values = new Set(results.map((r) => r.value));
  return { ...tally(results, totalsPerKey(range(EVENTS), KEYS)), missingValues: range(EVENTS).filter((v) => !values.has(v)).length };
}

interface JobSettings {
  where: Injection;
  mode?: "exactly-once" | "at-least-once";
  tolerableFailures?: number;
}

/** Runs the keyed count with the injecting map in front, at parallelism 2, and returns its output. */
async function runCountingJob(probe: Probe, settings: JobSettings): Promise<KeyCount[]> {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env.enableCheckpointing(30, settings.mode ?? "exactly-once");
  env.getCheckpointConfig().setTolerableCheckpointFailureNumber(settings.tolerableFailures ?? 0);
  env.setRestartStrategy({ kind: "fixed-delay", attempts: 3, delayMs: 10 });
  const out = env
    // Half the input waits for ARM_AFTER completed checkpoints, and the source ends only once the
    // failure was injected and a later checkpoint completed: the outcome does not depend on timing.
    .fromSource(
      heldSource({
        count: EVENTS,
        holdFrom: EVENTS / 2,
        release: () => probe.completed.size >= ARM_AFTER,
        end: () => probe.injected > 0 && [...probe.completed].some((id) => id > (probe.failedCheckpointId ?? 0)),
      }),
      "Numbers",
    )
    .map(new InjectingMap(settings.where, probe))
    .keyBy((v) => v % KEYS)
    .process(new RunningCount())
    .collect();
  await env.execute(`inject-${settings.where}`);
  return out.values;
}

const highestAttempt = (probe: Probe) => Math.max(...probe.attempts);

describe("failures injected during a snapshot", () => {
  it("a snapshotState that throws declines its checkpoint; with no tolerable failures the job fails over once and its output is exactly-once", async () => {
    const probe = newProbe();
    const out = await runCountingJob(probe, { where: "snapshot", tolerableFailures: 0 });
    expect(probe.injected).toBe(1);
    expect(probe.completed.has(probe.failedCheckpointId!)).toBe(false);
    expect(highestAttempt(probe)).toBe(1);
    // Both map subtasks restored the operator state of the last completed checkpoint.
    expect(probe.restoredInitializations).toBe(2);
    expect(probe.completed.size).toBeGreaterThanOrEqual(ARM_AFTER);
    expect(judge(out)).toEqual({ lost: 0, duplicated: 0, missingValues: 0 });
    expect(out).toHaveLength(EVENTS);
  });

  it("within the tolerable failure number a declined checkpoint is only aborted: the job keeps running without a restart and later checkpoints complete", async () => {
    const probe = newProbe();
    const out = await runCountingJob(probe, { where: "snapshot", tolerableFailures: 3 });
    expect(probe.injected).toBe(1);
    expect(probe.aborted.has(probe.failedCheckpointId!)).toBe(true);
    expect(probe.completed.has(probe.failedCheckpointId!)).toBe(false);
    expect([...probe.completed].filter((id) => id > probe.failedCheckpointId!).length).toBeGreaterThanOrEqual(1);
    expect(probe.attempts).toEqual(new Set([0]));
    expect(probe.restoredInitializations).toBe(0);
    expect(judge(out)).toEqual({ lost: 0, duplicated: 0, missingValues: 0 });
    expect(out).toHaveLength(EVENTS);
  });
});

describe("failures injected during a restore", () => {
  it("an initializeState that throws while restoring causes one more failover, which restores the same checkpoint: the output is still exactly-once", async () => {
    const probe = newProbe();
    const out = await runCountingJob(probe, { where: "restore" });
    expect(probe.injected).toBe(1);
    expect(probe.restoreFailures).toBe(1);
    expect(probe.completed.size).toBeGreaterThanOrEqual(ARM_AFTER);
    expect(highestAttempt(probe)).toBe(2);
    // Attempt 2 restored both subtasks, after the one that threw in attempt 1 (its sibling may or may not have got that far).
    expect(probe.restoredInitializations).toBeGreaterThanOrEqual(3);
    expect(judge(out)).toEqual({ lost: 0, duplicated: 0, missingValues: 0 });
    expect(out).toHaveLength(EVENTS);
  });
});

describe("failures injected in close()", () => {
  it("a close() that throws while a failed attempt is torn down is logged and ignored: the job restarts once and its output is exactly-once", async () => {
    const probe = newProbe();
    const out = await runCountingJob(probe, { where: "close" });
    expect(probe.injected).toBe(1);
    // Both map subtasks of attempt 0 were closed, the failing one and the one canceled with it.
    expect(probe.closeFailures).toBe(2);
    expect(probe.completed.size).toBeGreaterThanOrEqual(ARM_AFTER);
    expect(highestAttempt(probe)).toBe(1);
    expect(judge(out)).toEqual({ lost: 0, duplicated: 0, missingValues: 0 });
    expect(out).toHaveLength(EVENTS);
  });
});

describe("a failure in at-least-once mode", () => {
  it("with at-least-once checkpoints a failure loses nothing: every input value and every count 1..n per key reaches the output at least once", async () => {
    const probe = newProbe();
    const out = await runCountingJob(probe, { where: "processing", mode: "at-least-once" });
    expect(probe.injected).toBe(1);
    expect(highestAttempt(probe)).toBe(1);
    expect(probe.completed.size).toBeGreaterThanOrEqual(ARM_AFTER);
    const { lost, missingValues } = judge(out);
    expect({ lost, missingValues }).toEqual({ lost: 0, missingValues: 0 });
    expect(out.length).toBeGreaterThanOrEqual(EVENTS);
  });
});
