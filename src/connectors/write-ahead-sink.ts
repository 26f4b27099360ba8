// The two-phase shape shared by the JetStream sinks (Flink's GenericWriteAheadSink, as the
// PostgreSQL sink has it): what arrives between two barriers is staged in operator state at the
// barrier (pre-commit) and written once that checkpoint has completed (commit). Epochs a restore
// brings back are written again first; the subclass makes every write idempotent (message ids,
// last-write-wins keys). The items after the last periodic checkpoint are staged by the subtask's
// final checkpoint, taken after the end of input, and written once it has completed; the subtask
// ends after that write. A failed write fails the subtask (a restore writes the epoch again), or,
// for a sink that asks for it, is logged and tried again after the next checkpoint (and fails the
// subtask if it still fails after the final one). Without periodic checkpoints, items are written
// as they come.

import { ListStateDescriptor } from "../core/state-descriptors.ts";
import type { ListState } from "../core/keyed-state.ts";
import { BaseOperator, type OperatorContext } from "../operators/operator.ts";
import type { FunctionSnapshotContext } from "../state/checkpointed-function.ts";

/** The items of one checkpoint interval of one subtask, kept in state until they are written. */
export interface StagedEpoch<Item> {
  /** `checkpoint-<id>`. */
  epoch: string;
  checkpointId: number;
  /** The subtask that staged it (kept across a restore at another parallelism). */
  origin: number;
  /** The job that staged it: ids derived from it stay the same when a later job restores the epoch. */
  jobId: string;
  /**
   * How many records the subtask had received in this job before the epoch's first. With the job
   * and the subtask it places each record however a replay cuts the records into epochs.
   */
  firstPosition: number;
  items: Item[];
}

interface WriteAheadState<Item> {
  origin: number;
  jobId: string;
  /** Records received in this job up to the barrier. */
  nextPosition: number;
  lastCheckpointId: number;
  staged: StagedEpoch<Item>[];
}

export abstract class WriteAheadSink<Item> extends BaseOperator {
  private buffer: Item[] = [];
  private staged: StagedEpoch<Item>[] = [];
  private state?: ListState<WriteAheadState<Item>>;
  private lastCheckpointId = 0;
  /** Records received in this job (counted on from a restore in the same job). */
  private position = 0;
  /** Writes run one after another, in epoch order; each waits for the one before. */
  private writes: Promise<void> = Promise.resolve();
  private readonly queued = new Set<StagedEpoch<Item>>();
  private scheduled = false;
  private failure?: Error;
  /** Until open has returned, a failure is thrown from open rather than reported. */
  private opened = false;

  /**
   * `stateName` names the operator state (one per sink kind, so a savepoint keeps it).
   * `retryFailedWrites`: a failed write is logged and tried again after the next checkpoint
   * (the subtask fails only after its final checkpoint) instead of failing the subtask at once. The
   * epochs after a failed one wait for it: they are written in order (an upsert of an older epoch
   * after a newer one would bring old values back).
   */
  constructor(
    private readonly stateName: string,
    private readonly retryFailedWrites = false,
  ) {
    super();
  }

  /** Names the sink and its target in every error, e.g. `jetStreamSink counts (stream "COUNTS")`. */
  protected abstract describe(): string;
  /** Connects and checks the target; throws a clear error if it cannot be used. */
  protected abstract connect(ctx: OperatorContext): Promise<void>;
  protected abstract disconnect(): Promise<void>;
  /** One record's item. */
  protected abstract toItem(record: unknown): Item;
  /** Writes one epoch; called again for the same epoch after a restore, so it must be idempotent. */
  protected abstract writeEpoch(epoch: StagedEpoch<Item>): Promise<void>;
  /** Without checkpoints: writes items as they come. */
  protected abstract writeDirect(items: Item[]): Promise<void>;
  /** What of an interval's items needs writing (default: all, in order; a keyed upsert keeps each key's last). */
  protected compact(items: Item[]): Item[] {
    return items;
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    await this.connect(ctx);
    this.opened = !ctx.checkpointing;
    if (!ctx.checkpointing) return;
    this.state = ctx.operatorState.getListState(new ListStateDescriptor<WriteAheadState<Item>>(this.stateName));
    const restored = this.state.get();
    // Restored from a completed checkpoint: what it staged belongs to completed checkpoints.
    this.lastCheckpointId = Math.max(0, ...restored.map((s) => s.lastCheckpointId));
    this.position = restored.find((s) => s.origin === ctx.subtaskIndex && s.jobId === ctx.jobId)?.nextPosition ?? 0;
    this.staged = restored.flatMap((s) => s.staged);
    for (const epoch of [...this.staged]) this.enqueue(epoch);
    await this.writes;
    if (this.failure) throw this.failure;
    this.opened = true;
  }

  process(record: unknown): void {
    this.buffer.push(this.toItem(record));
    this.position += 1;
    if (this.state || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushDirect();
    });
  }

  snapshotState(ctx: FunctionSnapshotContext): void {
    if (!this.state) return;
    this.stage(`checkpoint-${ctx.checkpointId}`, ctx.checkpointId);
    this.lastCheckpointId = ctx.checkpointId;
    this.state.update([{ origin: this.ctx.subtaskIndex, jobId: this.ctx.jobId, nextPosition: this.position, lastCheckpointId: this.lastCheckpointId, staged: this.staged }]);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    for (const epoch of this.staged) if (epoch.checkpointId <= checkpointId) this.enqueue(epoch);
  }

  override onWatermark(): void {}

  /** With checkpointing the rest waits for the final checkpoint (it stages it, its completion writes it); without, it is written now. */
  override async finish(): Promise<void> {
    if (this.state) return;
    this.flushDirect();
    await this.writes;
    if (this.failure) throw this.failure;
  }

  /** The final checkpoint completed: every staged epoch must now be written. */
  async finalCheckpointComplete(): Promise<void> {
    await this.writes;
    // A write that failed leaves its epoch staged: the subtask fails, and a restore writes it again.
    if (this.failure) throw this.failure;
    if (this.staged.length > 0) throw new Error(`${this.describe()}: ${this.staged.length} epoch(s) could not be written: ${this.staged.map(epochLabel).join(", ")}`);
  }

  override async close(): Promise<void> {
    await this.writes;
    await this.disconnect();
  }

  private stage(epoch: string, checkpointId: number): void {
    // A new list: one handed to the state at an earlier barrier stays as it was.
    if (this.buffer.length > 0) {
      const { subtaskIndex: origin, jobId } = this.ctx;
      this.staged = [...this.staged, { epoch, checkpointId, origin, jobId, firstPosition: this.position - this.buffer.length, items: this.compact(this.buffer) }];
    }
    this.buffer = [];
  }

  /** Writes one staged epoch after those before it; on success it leaves the staged list. */
  private enqueue(epoch: StagedEpoch<Item>): void {
    if (this.queued.has(epoch) || this.failure) return;
    this.queued.add(epoch);
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      try {
        // An earlier epoch is still staged: its write failed, and this one waits for its retry.
        if (this.staged[0] !== epoch) return;
        await this.writeEpoch(epoch);
        this.staged = this.staged.filter((s) => s !== epoch);
      } catch (error) {
        const reason = `could not write ${epochLabel(epoch)}: ${(error as Error).message}`;
        if (this.retryFailedWrites) this.ctx.log.warn({ epoch: epoch.epoch, origin: epoch.origin }, `${this.describe()}: ${reason}; it is tried again after the next checkpoint`);
        else this.fail(reason);
      } finally {
        this.queued.delete(epoch);
      }
    });
  }

  private flushDirect(): void {
    if (this.buffer.length === 0 || this.failure) return;
    const items = this.buffer;
    this.buffer = [];
    this.writes = this.writes.then(() => (this.failure ? undefined : this.writeDirect(items).catch((error: Error) => this.fail(error.message))));
  }

  /** The first failure fails the subtask; later writes are not attempted (the restore redoes them). */
  private fail(reason: string): void {
    if (this.failure) return;
    this.failure = new Error(`${this.describe()}: ${reason}`);
    if (this.opened) this.ctx.fail(this.failure);
  }
}

function epochLabel(epoch: StagedEpoch<unknown>): string {
  return `checkpoint ${epoch.checkpointId} (subtask ${epoch.origin})`;
}
