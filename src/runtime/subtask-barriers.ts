// A subtask's side of the checkpoint protocol, beside its data plane: barriers injected at
// sources, in-band barriers aligned at inputs (the pure BarrierAligner decides; the gate blocks),
// unaligned barriers handled on arrival, aligned checkpoints switched to unaligned when their
// barriers are overdue or their alignment too long, and completion/abort notices. Snapshots are
// taken by the SubtaskCheckpointer; this decides when, and moves barriers on.

import type { CheckpointingConfig, DataElement, JobVertexSpec, SubtaskId } from "../messages/schema.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { ChannelStateSnapshot } from "../state/operator-snapshot.ts";
import { decode } from "../messages/codec.ts";
import { BarrierAligner, initialAlignerState, type AlignerActions, type AlignerState } from "./barrier-aligner.ts";
import type { Clock } from "./clock.ts";
import type { InputChannel, InputGate } from "./input-gate.ts";
import type { PartitionedOutput } from "./operator-chain.ts";
import type { Barrier, SubtaskCheckpointer } from "./subtask-checkpointer.ts";
import { UnalignedCheckpoint } from "./unaligned-checkpoint.ts";

export interface SubtaskBarriersOptions {
  task: SubtaskId;
  vertex: JobVertexSpec;
  clock: Clock;
  metrics: MetricRegistry;
  /** Absent: no periodic checkpoints (savepoints still come, aligned). */
  config?: CheckpointingConfig;
  checkpointer: SubtaskCheckpointer;
  gate?: InputGate;
  outputs: readonly PartitionedOutput[];
  /** Blocked channels were released: frames may be read again. */
  scheduleDrain: () => void;
  /** Runs a timer callback, failing the subtask if it throws. */
  guard: (fn: () => void) => void;
}

export class SubtaskBarriers {
  private readonly aligner?: BarrierAligner;
  private alignment: AlignerState = initialAlignerState;
  private alignmentStartedAt = 0;
  /** Fires when an aligned checkpoint has aligned for longer than the aligned-checkpoint timeout. */
  private alignmentTimer: unknown;
  /** The unaligned checkpoint in progress here, if any, and the newest one started. */
  private unaligned?: UnalignedCheckpoint;
  private lastUnalignedId = 0;

  constructor(private readonly options: SubtaskBarriersOptions) {
    const { gate, config } = options;
    if (gate) this.aligner = new BarrierAligner(config?.mode ?? "exactly-once", new Set(gate.channels.map((_, i) => i)));
  }

  /** A source's barrier, injected between two polls: aligned (in-band, behind the records sent) or unaligned. */
  inject(barrier: Barrier): void {
    if (barrier.unaligned) this.startUnaligned(barrier, undefined);
    else this.snapshotAndForward(barrier, 0);
  }

  /** An in-band barrier reached the front of `channel`. Returns true when the channel is now blocked. */
  onBarrier(channel: InputChannel, barrier: Barrier): boolean {
    const gate = this.options.gate!;
    if (this.alignment.kind === "idle") this.alignmentStartedAt = this.options.clock.now();
    this.applyAlignment(this.aligner!.onBarrier(this.alignment, barrier.checkpointId, gate.channels.indexOf(channel)), barrier);
    const timeout = this.options.config?.alignedTimeoutMs;
    const aligningThis = this.alignment.kind === "aligning" && this.alignment.checkpointId === barrier.checkpointId;
    if (timeout && barrier.savepointDir === undefined && aligningThis && this.alignmentTimer === undefined) {
      this.alignmentTimer = this.options.clock.setTimeout(() => {
        this.alignmentTimer = undefined;
        this.options.guard(() => this.switchToUnaligned(barrier, undefined));
      }, timeout);
    }
    return channel.blocked;
  }

  /** A priority frame: an unaligned (or overdue) barrier, handled on arrival, ahead of the frames buffered before it. */
  onPriority(channel: InputChannel, elements: readonly DataElement[]): void {
    for (const element of elements) {
      if (element.kind !== "barrier") continue;
      const current = this.unaligned;
      if (current?.checkpointId === element.checkpointId) {
        if (current.channelDone(channel)) this.completeUnaligned();
        continue;
      }
      if (element.checkpointId <= this.lastUnalignedId) continue; // an old one, already done or given up
      if (current) {
        current.cancel();
        this.options.checkpointer.abandon(current.checkpointId, `checkpoint ${element.checkpointId} started before it completed`);
      }
      // Upstream switched an aligned checkpoint this subtask is still aligning (or its barrier is overdue): switch too.
      if (this.alignment.kind === "aligning" && this.alignment.checkpointId === element.checkpointId) this.switchToUnaligned(element, channel);
      else if (element.checkpointId > this.alignment.lastSeen) {
        // The in-band barriers of this checkpoint, still queued, are now only markers for the recording.
        this.alignment = { kind: "idle", lastSeen: element.checkpointId };
        if (!element.unaligned) this.countAlignmentTimeout();
        this.startUnaligned({ ...element, unaligned: true }, channel);
      }
    }
  }

  /** A recording channel's in-band barrier arrived (a switched checkpoint): it owes nothing more. */
  onRecordedBarrier(channel: InputChannel): void {
    if (this.unaligned?.channelDone(channel)) this.completeUnaligned();
  }

  /** A channel ended: it no longer has to deliver barriers. */
  onEndOfPartition(channel: InputChannel): void {
    this.applyAlignment(this.aligner!.onEndOfPartition(this.alignment, this.options.gate!.channels.indexOf(channel)), undefined);
    if (this.unaligned?.channelDone(channel)) this.completeUnaligned();
  }

  /** An aligned barrier that arrives later than the aligned-checkpoint timeout after its trigger is taken unaligned. */
  isOverdue(barrier: Barrier): boolean {
    const timeout = this.options.config?.alignedTimeoutMs;
    return timeout !== undefined && timeout > 0 && !barrier.unaligned && barrier.savepointDir === undefined && this.options.clock.now() - barrier.timestamp >= timeout;
  }

  /** A checkpoint completed or was aborted everywhere. */
  notify(checkpointId: number, outcome: "complete" | "aborted"): void {
    if (outcome === "aborted") {
      if (this.unaligned?.checkpointId === checkpointId) {
        this.unaligned.cancel();
        this.unaligned = undefined;
      }
      if (this.aligner) this.applyAlignment(this.aligner.onCancel(this.alignment, checkpointId), undefined);
    }
    this.options.checkpointer.notify(checkpointId, outcome);
  }

  close(): void {
    this.clearAlignmentTimer();
    this.unaligned?.cancel();
  }

  private snapshotAndForward(barrier: Barrier, alignmentMs: number): void {
    this.options.checkpointer.snapshot(barrier, alignmentMs);
    for (const output of this.options.outputs) output.broadcastControl(barrier);
  }

  private applyAlignment(step: { state: AlignerState; actions: AlignerActions }, barrier: Barrier | undefined): void {
    const gate = this.options.gate!;
    this.alignment = step.state;
    const { trigger, block, releaseAll, abort } = step.actions;
    if (step.state.kind === "idle" || abort.length > 0) this.clearAlignmentTimer();
    for (const index of block) gate.block(gate.channels[index]);
    for (const checkpointId of trigger) {
      if (barrier?.checkpointId === checkpointId) this.snapshotAndForward(barrier, this.options.clock.now() - this.alignmentStartedAt);
    }
    if (releaseAll) {
      gate.unblockAll();
      this.options.scheduleDrain();
    }
  }

  /**
   * Takes this subtask's unaligned snapshot now: the operators' state, what the outputs have not
   * sent (the barrier overtakes it downstream at once), and, as it completes, what the inputs had
   * delivered before their barriers.
   */
  private startUnaligned(barrier: Barrier, first: InputChannel | undefined, delivered: ReadonlySet<InputChannel> = new Set()): void {
    const captured = this.options.checkpointer.captureOperators(barrier);
    this.lastUnalignedId = barrier.checkpointId;
    if (!captured) return;
    const outputs: ChannelStateSnapshot["outputs"] = [];
    for (const output of this.options.outputs) {
      output.writers.forEach((writer, i) => {
        outputs.push({ edgeId: output.edge.id, consumer: output.consumers[i], elements: writer.inFlight(decodeFrameElements) });
        writer.emitPriority(barrier);
      });
    }
    const channels = this.options.gate?.channels ?? [];
    this.unaligned = new UnalignedCheckpoint(barrier, channels, first, delivered, captured.packed, outputs, captured.syncMs, this.options.clock.now());
    if (this.unaligned.isComplete) this.completeUnaligned();
  }

  /**
   * An aligned checkpoint took too long to align (or upstream switched it): take it unaligned now.
   * The channels that delivered the barrier are released (what they buffer came after it); the
   * others owe what they buffer and what arrives until their barrier.
   */
  private switchToUnaligned(barrier: Barrier, first: InputChannel | undefined): void {
    const gate = this.options.gate!;
    if (this.alignment.kind !== "aligning" || this.alignment.checkpointId !== barrier.checkpointId) return;
    const delivered = new Set([...this.alignment.arrived].map((index) => gate.channels[index]));
    this.alignment = { kind: "idle", lastSeen: barrier.checkpointId };
    this.clearAlignmentTimer();
    this.countAlignmentTimeout();
    gate.unblockAll();
    this.startUnaligned({ ...barrier, unaligned: true }, first, delivered);
    this.options.scheduleDrain();
  }

  private completeUnaligned(): void {
    const done = this.unaligned!;
    this.unaligned = undefined;
    const channels = done.channelState();
    const elements = [...channels.inputs, ...channels.outputs].reduce((sum, c) => sum + c.elements.length, 0);
    this.counter("weir_checkpoint_inflight_elements_total").inc(elements);
    this.options.checkpointer.completeUnaligned(done.barrier, done.packedOperators, channels, { syncMs: done.syncMs, alignmentMs: this.options.clock.now() - done.startedAt });
  }

  /** An aligned checkpoint taken unaligned here because its alignment (or its barrier) took too long. */
  private countAlignmentTimeout(): void {
    this.counter("weir_checkpoint_alignment_timeouts_total").inc();
  }

  private counter(name: string) {
    return this.options.metrics.counter(name, { job: this.options.task.jobId, vertex: this.options.vertex.id });
  }

  private clearAlignmentTimer(): void {
    if (this.alignmentTimer !== undefined) this.options.clock.clearTimeout(this.alignmentTimer);
    this.alignmentTimer = undefined;
  }
}

/** The elements of an encoded frame (the writer's queued frames, captured by an unaligned checkpoint). */
function decodeFrameElements(bytes: Uint8Array): DataElement[] {
  const outcome = decode(bytes, ["frame"], Number.MAX_SAFE_INTEGER);
  if (!outcome.ok) throw new Error(`a queued frame cannot be read back: ${outcome.detail}`);
  return outcome.message.elements;
}
