// A subtask's side of the checkpoint protocol. The pure barrier handler (`./barriers/`) decides
// what each barrier, end of partition, timeout and notice means; this class feeds it those events
// and carries out its effects: the input gate blocks, releases, copies and records channels; the
// SubtaskCheckpointer snapshots; barriers move on through the outputs. It also listens for the job
// master's triggers (a source injects the barrier) and completion notices. A subtask that reached
// the end of its input (with checkpointing) waits here for its final checkpoint: it reports the end
// of data, snapshots on the trigger itself (no barrier can reach it in-band any more), and ends
// once a checkpoint with that snapshot has completed.

import type { Bus, BusSubscription } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { decode, encode } from "../messages/codec.ts";
import type { Rejections } from "../messages/rejections.ts";
import { staleEpochRejection, type LeaderFence } from "../messages/leader-fence.ts";
import type { CheckpointingConfig, DataElement, JobVertexSpec, SubtaskId, TriggerCheckpoint } from "../messages/schema.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import { initialBarrierState, transition, type BarrierEffect, type BarrierEvent, type BarrierHandlerState } from "./barriers/barrier-handler.ts";
import type { Clock } from "../core/clock.ts";
import type { InputChannel, InputGate } from "./input-gate.ts";
import type { PartitionedOutput } from "./operator-chain.ts";
import type { Barrier, SubtaskCheckpointer } from "./subtask-checkpointer.ts";
import { UnalignedCapture } from "./unaligned-checkpoint.ts";

export interface SubtaskBarriersOptions {
  bus: Bus;
  rejections: Rejections;
  /** The worker's leader fence: triggers and notices of a deposed job manager are refused. */
  fence?: LeaderFence;
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
  /** Runs a callback from outside the data flow (timer, message), failing the subtask if it throws. */
  guard: (fn: () => void) => void;
  /** A source takes a trigger only between polls, while it still emits (not finishing or stopping). */
  acceptsTrigger: () => boolean;
  /** Stop-with-savepoint: the source ends after the barrier just injected. */
  onStop: (stop: NonNullable<TriggerCheckpoint["stop"]>) => void;
}

/** A subtask waiting for its final checkpoint says so again after 100 ms, then twice as long each time, up to every second (the coordinator may start after the subtask ended). */
const END_OF_DATA_REPORT_MS = { first: 100, most: 1000 };

export class SubtaskBarriers {
  private state: BarrierHandlerState;
  /** Fires when an aligned checkpoint has aligned for longer than the aligned-checkpoint timeout. */
  private alignmentTimer: unknown;
  /** What the unaligned checkpoint in progress has captured. */
  private capture?: UnalignedCapture;
  /** An event an effect gave rise to (a declined capture), handled once the step's effects are done. */
  private followUp?: BarrierEvent;
  private readonly subscription: BusSubscription;
  /** The newest checkpoint this source injected a barrier for (a non-source: the newest it snapshotted). */
  private lastTriggered = 0;
  /** The newest trigger not taken (a subtask still processing, or finishing): taken if it reaches the end of data before its barrier. */
  private untaken?: TriggerCheckpoint;
  /** Waiting for the final checkpoint: the first checkpoint snapshotted after the end of data, and what ends the wait. */
  private final?: { from?: number; ended: boolean; end: () => void; reportTimer?: unknown; reportEveryMs: number };

  constructor(private readonly options: SubtaskBarriersOptions) {
    const { gate, config, bus, task } = options;
    this.state = initialBarrierState({ mode: config?.mode ?? "exactly-once", alignedTimeoutMs: config?.alignedTimeoutMs, channels: gate?.channels.length ?? 0 });
    this.subscription = bus.subscribe(subjects.checkpointControl(task.jobId), (data, subject) => {
      const outcome = decode(data, ["trigger-checkpoint", "checkpoint-notify"]);
      const fenced = outcome.ok ? options.fence?.admit(outcome.message.epoch) : undefined;
      if (!outcome.ok) options.rejections.reject(outcome, { subject, bytes: data.length });
      else if (fenced?.kind === "stale") options.rejections.reject(staleEpochRejection(fenced, outcome.message.type), { subject, bytes: data.length });
      else if (outcome.message.type === "trigger-checkpoint") options.guard(() => this.onTrigger(outcome.message as TriggerCheckpoint));
      else {
        const { checkpointId, outcome: result } = outcome.message;
        options.guard(() => this.notify(checkpointId, result));
      }
    });
  }

  /** An in-band barrier reached the front of `channel`. Returns true when the channel is now blocked. */
  onBarrier(channel: InputChannel, barrier: Barrier): boolean {
    this.dispatch({ type: "barrier", channel: channel.index, barrier });
    return channel.blocked;
  }

  /** A priority frame: an unaligned (or overdue) barrier, handled on arrival, ahead of the frames buffered before it. */
  onPriority(channel: InputChannel, elements: readonly DataElement[]): void {
    for (const element of elements) {
      if (element.kind !== "barrier") continue;
      const settled = this.options.gate!.settledFor(element.checkpointId);
      this.dispatch({ type: "priority-barrier", channel: channel.index, barrier: element, settled });
    }
  }

  /** A recording channel's in-band barrier arrived: it owes nothing more. */
  onRecordedBarrier(channel: InputChannel, checkpointId: number): void {
    this.dispatch({ type: "recorded-barrier", channel: channel.index, checkpointId });
  }

  /** A channel's end of partition was processed: it no longer has to deliver barriers. */
  onEndOfPartition(channel: InputChannel): void {
    this.dispatch({ type: "end-of-partition", channel: channel.index });
  }

  /** An aligned barrier that arrives later than the aligned-checkpoint timeout after its trigger is taken unaligned. */
  isOverdue(barrier: Barrier): boolean {
    const timeout = this.options.config?.alignedTimeoutMs;
    return timeout !== undefined && timeout > 0 && !barrier.unaligned && barrier.savepointDir === undefined && this.options.clock.now() - barrier.timestamp >= timeout;
  }

  /**
   * The subtask reached the end of its input and its operators finished (end of partition is sent):
   * resolves once a checkpoint of its state from now on has completed everywhere (its operators
   * have been notified), or the subtask stops. Every trigger from now on is snapshotted at once.
   */
  awaitFinalCheckpoint(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.final = { ended: false, end: resolve, reportEveryMs: END_OF_DATA_REPORT_MS.first };
      this.reportEndOfData();
      // Triggered while input was still arriving, and no barrier for it came before the end of every input.
      const untaken = this.untaken;
      this.untaken = undefined;
      if (untaken && untaken.checkpointId > this.lastTriggered) this.snapshotFinal(untaken);
    });
  }

  close(): void {
    this.subscription.unsubscribe();
    this.clearAlignmentTimer();
    this.capture = undefined;
    this.endFinalWait();
  }

  /** Tells the coordinator (again and again: a report can be lost, a coordinator start later or be replaced) that this subtask waits for its final checkpoint. */
  private reportEndOfData(): void {
    const final = this.final;
    if (!final || final.ended) return;
    const { bus, task, clock } = this.options;
    bus.publish(subjects.checkpointAcks(task.jobId), encode({ type: "end-of-data", jobId: task.jobId, task }));
    final.reportTimer = clock.setTimeout(() => this.options.guard(() => this.reportEndOfData()), final.reportEveryMs);
    final.reportEveryMs = Math.min(final.reportEveryMs * 2, END_OF_DATA_REPORT_MS.most);
  }

  /** Snapshots the state after the end of data for `trigger` (nothing goes downstream: every output has ended). */
  private snapshotFinal(trigger: TriggerCheckpoint): void {
    const { checkpointId, timestamp, mode, savepointDir } = trigger;
    this.lastTriggered = checkpointId;
    this.final!.from ??= checkpointId;
    this.options.checkpointer.snapshot({ kind: "barrier", checkpointId, timestamp, mode, savepointDir }, 0);
  }

  private endFinalWait(): void {
    const final = this.final;
    if (!final || final.ended) return;
    final.ended = true;
    if (final.reportTimer !== undefined) this.options.clock.clearTimeout(final.reportTimer);
    final.end();
  }

  /** A source subtask injects the barrier between two polls (this handler never runs inside one). */
  private onTrigger(trigger: TriggerCheckpoint): void {
    const { checkpointId, timestamp, mode, savepointDir, unaligned } = trigger;
    // A trigger sent again: the coordinator still waits for this checkpoint. Answer again; a source injects no second barrier.
    if (checkpointId <= this.lastTriggered) {
      this.options.checkpointer.answerAgain(checkpointId);
      return;
    }
    if (this.final) {
      if (!this.final.ended) this.snapshotFinal(trigger);
      return;
    }
    if (!this.options.vertex.isSource || !this.options.acceptsTrigger()) {
      if (checkpointId > (this.untaken?.checkpointId ?? 0)) this.untaken = trigger;
      return;
    }
    this.lastTriggered = checkpointId;
    this.dispatch({ type: "inject", barrier: { kind: "barrier", checkpointId, timestamp, mode, savepointDir, unaligned } });
    if (trigger.stop) this.options.onStop(trigger.stop);
  }

  /** A checkpoint completed or was aborted everywhere. */
  private notify(checkpointId: number, outcome: "complete" | "aborted"): void {
    if (outcome === "aborted") this.dispatch({ type: "abort", checkpointId });
    this.options.checkpointer.notify(checkpointId, outcome);
    // The sinks have committed what the final checkpoint holds: the subtask may end.
    const from = this.final?.from;
    if (outcome === "complete" && from !== undefined && checkpointId >= from) this.endFinalWait();
  }

  private dispatch(event: BarrierEvent): void {
    const step = transition(this.state, event, this.options.clock.now());
    this.state = step.state;
    let release = false;
    for (const effect of step.effects) release = this.carryOut(effect) || release;
    if (release) this.options.scheduleDrain();
    const next = this.followUp;
    this.followUp = undefined;
    if (next) this.dispatch(next);
  }

  /** Carries out one effect; true when blocked channels were released. */
  private carryOut(effect: BarrierEffect): boolean {
    const { gate, checkpointer, clock } = this.options;
    switch (effect.kind) {
      case "block":
        gate!.block(effect.channel);
        return false;
      case "release-all":
        gate!.unblockAll();
        return true;
      case "snapshot":
        this.lastTriggered = Math.max(this.lastTriggered, effect.barrier.checkpointId);
        checkpointer.snapshot(effect.barrier, effect.alignmentMs);
        for (const output of this.options.outputs) output.broadcastControl(effect.barrier);
        return false;
      case "aborted":
        return false;
      case "start-unaligned":
        this.startUnaligned(effect);
        return false;
      case "stop-recording":
        gate?.stopRecording(effect.channel);
        return false;
      case "complete-unaligned":
        this.completeUnaligned(effect.checkpointId, effect.alignmentMs);
        return false;
      case "abandon-unaligned":
        if (this.capture?.checkpointId === effect.checkpointId) this.capture = undefined;
        checkpointer.abandon(effect.checkpointId, effect.reason);
        return false;
      case "start-alignment-timer": {
        this.clearAlignmentTimer();
        const { checkpointId } = effect;
        this.alignmentTimer = clock.setTimeout(() => {
          this.alignmentTimer = undefined;
          this.options.guard(() => this.dispatch({ type: "alignment-timeout", checkpointId, settled: gate?.settledFor(checkpointId) ?? [] }));
        }, effect.delayMs);
        return false;
      }
      case "cancel-alignment-timer":
        this.clearAlignmentTimer();
        return false;
      case "count-alignment-timeout":
        this.counter("weir_checkpoint_alignment_timeouts_total").inc();
        return false;
    }
  }

  /**
   * Takes this subtask's unaligned snapshot now: the operators' state, what the outputs have not
   * sent (the barrier overtakes it downstream at once), and what the inputs owe before their barriers.
   */
  private startUnaligned(effect: Extract<BarrierEffect, { kind: "start-unaligned" }>): void {
    const { barrier } = effect;
    this.lastTriggered = Math.max(this.lastTriggered, barrier.checkpointId);
    const captured = this.options.checkpointer.captureOperators(barrier);
    if (!captured) {
      // Declined by the checkpointer: the handler stops waiting for this checkpoint.
      this.capture = undefined;
      this.followUp = { type: "capture-failed", checkpointId: barrier.checkpointId };
      return;
    }
    const outputs: ReturnType<UnalignedCapture["channelState"]>["outputs"] = [];
    for (const output of this.options.outputs) {
      output.writers.forEach((writer, i) => {
        outputs.push({ edgeId: output.edge.id, consumer: output.consumers[i], elements: writer.inFlight(decodeFrameElements) });
        writer.emitPriority(barrier);
      });
    }
    const capture = new UnalignedCapture(barrier, captured.packed, outputs, captured.syncMs);
    const gate = this.options.gate;
    for (const index of effect.copy) capture.inputs.set(gate!.channels[index], gate!.bufferedBefore(index, barrier.checkpointId));
    for (const index of effect.record) gate!.startRecording(index, barrier.checkpointId, capture.inputs.get(gate!.channels[index])!);
    this.capture = capture;
  }

  private completeUnaligned(checkpointId: number, alignmentMs: number): void {
    const done = this.capture;
    if (done?.checkpointId !== checkpointId) return; // its capture was declined
    this.capture = undefined;
    const channels = done.channelState();
    const elements = [...channels.inputs, ...channels.outputs].reduce((sum, c) => sum + c.elements.length, 0);
    this.counter("weir_checkpoint_inflight_elements_total").inc(elements);
    this.options.checkpointer.completeUnaligned(done.barrier, done.packedOperators, channels, { syncMs: done.syncMs, alignmentMs });
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
