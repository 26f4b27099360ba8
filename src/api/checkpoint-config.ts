// The job's checkpoint configuration (Flink's CheckpointConfig), reached through
// env.enableCheckpointing(ms) and env.getCheckpointConfig(). Every setter checks its value and
// says what to change; the result travels in the job graph as a CheckpointingConfig.

import { parseCheckpointStorage, DEFAULT_CHECKPOINT_STORAGE } from "../checkpoint/storage-spec.ts";
import { checkConfig } from "../coordinator/checkpoint-planner.ts";
import type { CheckpointingConfig, CheckpointingMode } from "../messages/schema.ts";

export class CheckpointConfig {
  private intervalMs = -1;
  private mode: CheckpointingMode = "exactly-once";
  private timeoutMs = 10 * 60_000;
  private minPauseMs = 0;
  private maxConcurrent = 1;
  private tolerableFailures = 0;
  private retained = 1;
  private retainOnCancel = false;
  private storage = DEFAULT_CHECKPOINT_STORAGE;
  private unaligned = false;
  private alignedTimeoutMs = 0;

  /** True once enableCheckpointing (or setCheckpointInterval) has been called. */
  isCheckpointingEnabled(): boolean {
    return this.intervalMs > 0;
  }

  /** How often (ms) a checkpoint is triggered; at least 10. */
  setCheckpointInterval(ms: number): this {
    return this.set(() => (this.intervalMs = ms));
  }

  getCheckpointInterval(): number {
    return this.intervalMs;
  }

  /** Exactly-once aligns barriers (the default); at-least-once never blocks an input. */
  setCheckpointingMode(mode: CheckpointingMode): this {
    if (mode !== "exactly-once" && mode !== "at-least-once") throw new Error(`setCheckpointingMode(${JSON.stringify(mode)}): use "exactly-once" or "at-least-once"`);
    this.mode = mode;
    return this;
  }

  getCheckpointingMode(): CheckpointingMode {
    return this.mode;
  }

  /** A checkpoint not complete after this long (ms) is aborted. Default 10 minutes. */
  setCheckpointTimeout(ms: number): this {
    return this.set(() => (this.timeoutMs = ms));
  }

  /** At least this long (ms) between the end of one checkpoint and the start of the next. Default 0. */
  setMinPauseBetweenCheckpoints(ms: number): this {
    return this.set(() => (this.minPauseMs = ms));
  }

  /** Checkpoints in flight at once. Default 1. */
  setMaxConcurrentCheckpoints(count: number): this {
    return this.set(() => (this.maxConcurrent = count));
  }

  /** Failed checkpoints in a row that are tolerated; one more fails the job (then the restart strategy decides). Default 0. */
  setTolerableCheckpointFailureNumber(count: number): this {
    return this.set(() => (this.tolerableFailures = count));
  }

  /** Completed checkpoints kept (state.checkpoints.num-retained). Default 1. */
  setNumRetainedCheckpoints(count: number): this {
    if (!Number.isInteger(count) || count < 1) throw new Error(`setNumRetainedCheckpoints(${count}): keep at least 1 (the one a restart restores)`);
    this.retained = count;
    return this;
  }

  /** Keep the retained checkpoints when the job is canceled, to resume from later (--from-savepoint <checkpoint dir>). */
  setRetainOnCancellation(retain: boolean): this {
    this.retainOnCancel = retain;
    return this;
  }

  /**
   * Where checkpoints go: "jobmanager" (the default: in the job master's memory, small state only),
   * "file:///dir" (a directory every worker and the job manager can reach) or "object-store://bucket"
   * (JetStream Object Store; needs a NATS cluster).
   */
  setCheckpointStorage(spec: string): this {
    parseCheckpointStorage(spec);
    this.storage = spec;
    return this;
  }

  /**
   * Unaligned checkpoints: a barrier overtakes the frames queued ahead of it and no input is ever
   * blocked; the overtaken frames are stored with the snapshot. Checkpoints then complete quickly
   * under backpressure. Exactly-once only; savepoints stay aligned; an unaligned checkpoint restores
   * at the parallelism it was taken at (rescale through a savepoint).
   */
  enableUnalignedCheckpoints(enabled = true): this {
    return this.set(() => (this.unaligned = enabled));
  }

  isUnalignedCheckpointsEnabled(): boolean {
    return this.unaligned;
  }

  /**
   * With unaligned checkpoints: start each checkpoint aligned, and let a subtask switch to unaligned
   * once its alignment has taken `ms` (Flink's aligned-checkpoint-timeout). 0 (the default): unaligned from the start.
   */
  setAlignedCheckpointTimeout(ms: number): this {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new Error(`setAlignedCheckpointTimeout(${ms}): give milliseconds >= 0`);
    return this.set(() => (this.alignedTimeoutMs = ms));
  }

  /** @internal The configuration as it travels in the job graph, or undefined when checkpointing is off. */
  toConfig(): CheckpointingConfig | undefined {
    if (!this.isCheckpointingEnabled()) return undefined;
    const config: CheckpointingConfig = {
      intervalMs: this.intervalMs,
      mode: this.mode,
      timeoutMs: this.timeoutMs,
      minPauseMs: this.minPauseMs,
      maxConcurrent: this.maxConcurrent,
      tolerableFailures: this.tolerableFailures,
      retained: this.retained,
      retainOnCancel: this.retainOnCancel,
      storage: this.storage,
      ...(this.unaligned ? { unaligned: true } : {}),
      ...(this.unaligned && this.alignedTimeoutMs > 0 ? { alignedTimeoutMs: this.alignedTimeoutMs } : {}),
    };
    checkConfig(config);
    if (this.unaligned && this.mode !== "exactly-once") throw new Error("unaligned checkpoints need exactly-once mode: at-least-once never blocks an input anyway");
    if (this.alignedTimeoutMs > 0 && !this.unaligned) throw new Error("setAlignedCheckpointTimeout switches to unaligned checkpoints: call enableUnalignedCheckpoints() too");
    return config;
  }

  /** Applies a change, then checks the whole configuration (when checkpointing is on) so a bad value fails here. */
  private set(change: () => void): this {
    change();
    if (this.isCheckpointingEnabled()) this.toConfig();
    return this;
  }
}
