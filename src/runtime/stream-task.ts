// One running subtask: its operator chain, its input gate and its channel writers. Drives
// records through the chain frame by frame (or, for a source, batch by batch), pauses while any
// output lacks credit, and finishes when every input has ended. With checkpointing on, sources
// inject barriers when the job master triggers, other subtasks align them (a pure BarrierAligner
// decides; the gate blocks channels) and every subtask snapshots at the barrier. The subtask actor
// owns the lifecycle; this class does the data plane and sends no per-record events anywhere.

import type { Bus } from "../bus/bus.ts";
import type { Rejections } from "../messages/rejections.ts";
import type { CheckpointingConfig, DataElement, Frame, JobGraphSpec, JobVertexSpec, SubtaskId, TaskRestore, TriggerCheckpoint } from "../messages/schema.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import { CurrentTimestamp, type StreamOperator } from "../operators/operator.ts";
import { SubtaskTime, type SubtaskTimeTargets } from "./subtask-time.ts";
import type { InputStatus, SourceReader } from "../operators/source.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import type { KeyedTimerService } from "../state/timer-service.ts";
import type { Clock } from "./clock.ts";
import { subjects } from "../bus/subjects.ts";
import { decode } from "../messages/codec.ts";
import type { BusSubscription } from "../bus/bus.ts";
import type { CheckpointIo } from "./checkpoint-io.ts";
import { buildChain, producersOf, type BuiltChain, type PartitionedOutput } from "./operator-chain.ts";
import { InputGate, type InputChannel } from "./input-gate.ts";
import { BarrierAligner, initialAlignerState, type AlignerActions, type AlignerState } from "./barrier-aligner.ts";
import { SubtaskCheckpointer, type Barrier, type OperatorSlot } from "./subtask-checkpointer.ts";
import { openSlot, readRestoredSnapshots, restoredShare } from "./operator-slots.ts";
import { isReplayable, UnalignedCheckpoint } from "./unaligned-checkpoint.ts";
import type { ChannelStateSnapshot } from "../state/operator-snapshot.ts";
import { PROTOCOL_VERSION } from "../messages/schema.ts";
import { HeapOperatorStateStore } from "../state/operator-state.ts";



export interface StreamTaskOptions {
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: MetricRegistry;
  rejections: Rejections;
  task: SubtaskId;
  jobGraph: JobGraphSpec;
  streamGraph: StreamGraph;
  /** This subtask's share of a checkpoint or savepoint to start from. */
  restore?: TaskRestore;
  checkpointIo?: CheckpointIo;
}

/** Frames processed per turn before yielding to the event loop (credits, control messages). */
const FRAMES_PER_TURN = 16;
/** Source polls per turn before yielding. */
const POLLS_PER_TURN = 2048;

/** The elements of an encoded frame (the writer's queued frames, captured by an unaligned checkpoint). */
function decodeFrameElements(bytes: Uint8Array): DataElement[] {
  const outcome = decode(bytes, ["frame"], Number.MAX_SAFE_INTEGER);
  if (!outcome.ok) throw new Error(`a queued frame cannot be read back: ${outcome.detail}`);
  return outcome.message.elements;
}

export class TaskCanceledError extends Error {
  constructor() {
    super("the subtask was canceled");
    this.name = "TaskCanceledError";
  }
}

export class StreamTask {
  readonly vertex: JobVertexSpec;
  private chain!: BuiltChain;
  private gate?: InputGate;
  private timers: KeyedTimerService[] = [];
  private orderedOperators: StreamOperator[] = [];
  private slots: OperatorSlot[] = [];
  private reader?: SourceReader<unknown>;
  /** Restored as finished (it had finished when the checkpoint was taken): it only passes on the end of input. */
  private finishedOnRestore = false;
  private readonly checkpointing?: CheckpointingConfig;
  private checkpointer?: SubtaskCheckpointer;
  private aligner?: BarrierAligner;
  private alignment: AlignerState = initialAlignerState;
  private alignmentStartedAt = 0;
  /** Fires when an aligned checkpoint has aligned for longer than the aligned-checkpoint timeout. */
  private alignmentTimer: unknown;
  private controlSubscription?: BusSubscription;
  /** Stop-with-savepoint: after its barrier a source ends, with (drain) or without a final watermark. */
  private stopAfterBarrier?: "drain" | "terminate";
  /** The unaligned checkpoint in progress here, if any, and the newest one started. */
  private unaligned?: UnalignedCheckpoint;
  private lastUnalignedId = 0;
  /** In-flight data of the unaligned checkpoint this subtask was restored from, replayed before anything else. */
  private restoredChannels?: ChannelStateSnapshot;
  private flushTimer: unknown;
  private drainScheduled = false;
  private finishing = false;
  private stopped = false;
  /** Wakes the source loop when credit arrives. */
  private creditWaiter?: () => void;
  /** Wakes finish() when the last frames have left. */
  private drainedWaiter?: () => void;
  private readonly creditSubscriptions: (() => void)[] = [];
  /** The event time of the record in flight, shared by the chain. */
  private readonly timestamp = new CurrentTimestamp();
  /** Event time and stream status on the input side (created with the input gate; sources have no inputs). */
  private time!: SubtaskTime;
  private latencyTimer: unknown;
  private latencyCursor = 0;
  private settle!: { resolve: () => void; reject: (error: Error) => void };
  private readonly done: Promise<void>;
  recordsIn = 0;

  constructor(private readonly options: StreamTaskOptions) {
    const vertex = options.jobGraph.vertices.find((v) => v.id === options.task.vertexId);
    if (!vertex) throw new Error(`job graph has no vertex ${options.task.vertexId}`);
    this.vertex = vertex;
    this.checkpointing = options.jobGraph.config.checkpointing;
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // A failure before run() is called must not surface as an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Builds and opens the chain, subscribes to credits and inputs; if that fails, closes what was opened. */
  async initialize(): Promise<void> {
    try {
      await this.openChain();
    } catch (error) {
      // Functions opened so far release what they acquired, as after any other failure.
      await this.release().catch((closeError: Error) => this.options.log.warn({ err: closeError }, "closing operators after a failed open failed too"));
      throw error;
    }
  }

  private async openChain(): Promise<void> {
    const { bus, task, jobGraph, streamGraph, clock, log, restore, checkpointIo } = this.options;
    this.chain = buildChain({ bus, task, vertex: this.vertex, jobGraph, streamGraph, onCredit: () => this.onCredit(), timestamp: this.timestamp });
    for (const output of this.chain.partitioned) this.subscribeCredits(output);
    const inputs = jobGraph.edges.filter((e) => e.target === this.vertex.id);
    if (inputs.length > 0) {
      this.gate = new InputGate({
        bus,
        clock,
        jobId: task.jobId,
        attempt: task.attempt,
        consumer: task.subtaskIndex,
        edges: inputs.map((e) => ({ edgeId: e.id, inputIndex: e.inputIndex, producers: producersOf(e, jobGraph, task.subtaskIndex) })),
        rejections: this.options.rejections,
        onReadable: () => this.scheduleDrain(),
        onChannelError: (error) => this.fail(error),
        onPriority: (channel, elements) => this.guard(() => this.onPriority(channel, elements)),
        isOverdue: (barrier) => this.isOverdue(barrier),
        onRecordedBarrier: (channel) => this.guard(() => {
          if (this.unaligned?.channelDone(channel)) this.completeUnaligned();
        }),
      });
    }
    this.time = new SubtaskTime(this.gate?.channels ?? [], this.timeTargets());
    if (restore?.finished) {
      this.finishedOnRestore = true;
      return;
    }
    if (restore && !checkpointIo) throw new Error("a restore needs checkpoint storage, and none was configured");
    const old = restore && checkpointIo ? await readRestoredSnapshots(restore, checkpointIo.readState) : [];
    this.restoredChannels = old.find((o) => o.vertexId === this.vertex.id && o.subtaskIndex === task.subtaskIndex)?.snapshot.channels;
    this.vertex.nodes.forEach((nodeId, index) => this.chainUid.set(nodeId, this.vertex.operatorUids[index]));
    for (const nodeId of this.vertex.nodes) {
      const operator = this.chain.operators.get(nodeId);
      if (!operator) continue;
      const uid = this.chainUid.get(nodeId)!;
      const restored = restoredShare(uid, restore, old, task.subtaskIndex, this.vertex.parallelism);
      const slot = await openSlot({
        task,
        config: jobGraph.config,
        vertex: this.vertex,
        streamGraph,
        clock,
        nodeId,
        uid,
        operator,
        restored,
        guard: (fn) => this.guard(fn),
        context: (state) => ({
          jobId: task.jobId,
          taskName: this.vertex.name,
          subtaskIndex: task.subtaskIndex,
          parallelism: this.vertex.parallelism,
          maxParallelism: this.vertex.maxParallelism,
          attempt: task.attempt,
          output: this.chain.outputs.get(nodeId)!,
          clock,
          log,
          metrics: this.options.metrics,
          bus,
          timestamp: this.timestamp,
          streamStatus: this.time.control,
          fail: (error) => this.fail(error),
          checkpointing: this.checkpointing !== undefined,
          ...state,
        }),
      });
      if (slot.timers) this.timers.push(slot.timers);
      this.slots.push(slot);
      this.orderedOperators.push(operator);
    }
    if (this.vertex.isSource) this.createReader(old);
    this.startCheckpointing();
  }

  private readonly chainUid = new Map<number, string>();

  /** The source reader, resuming from its share of the restored splits. */
  private createReader(old: Parameters<typeof restoredShare>[2]): void {
    const { streamGraph, task, clock, restore } = this.options;
    const head = streamGraph.node(this.vertex.nodes[0]);
    const uid = this.vertex.operatorUids[0];
    const restoredSplits = restoredShare(uid, restore, old, task.subtaskIndex, this.vertex.parallelism)?.splits;
    this.reader = head.source!.createReader({ subtaskIndex: task.subtaskIndex, parallelism: this.vertex.parallelism, clock, restoredSplits });
    // The source node has no operator of its own: its slot holds only the reader's position.
    this.slots.unshift({ uid, operatorState: new HeapOperatorStateStore(), reader: this.reader });
  }

  private timeTargets(): SubtaskTimeTargets {
    return {
      watermark: (timestamp, input) => this.orderedOperators[0]?.onWatermark(timestamp, input),
      inputStatus: (status, input) => this.orderedOperators[0]?.onInputStatus?.(status, input),
      announce: (status) => {
        for (const output of this.chain.partitioned) output.broadcastControl({ kind: "stream-status", status });
      },
    };
  }

  /** Runs until every input has ended and all output has been delivered; rejects on failure or cancel. */
  run(): Promise<void> {
    this.startFlusher();
    this.startLatencyMarkers();
    if (!this.finishedOnRestore) this.guard(() => this.replayChannelState());
    if (this.finishedOnRestore && this.vertex.isSource) void this.finish().catch((error: Error) => this.fail(error));
    else if (this.vertex.isSource) void this.runSource().catch((error: Error) => this.fail(error));
    else {
      this.gate!.open();
      this.scheduleDrain();
    }
    return this.done;
  }

  /** Stops processing and releases resources; `run()` rejects with TaskCanceledError. */
  async cancel(): Promise<void> {
    if (this.stopped) return;
    this.fail(new TaskCanceledError());
  }

  /** Routes the credit grants of one edge's consumers to their channel writers. */
  private subscribeCredits(output: PartitionedOutput): void {
    const { bus, task, rejections } = this.options;
    const byConsumer = new Map(output.consumers.map((consumer, i) => [consumer, output.writers[i]]));
    const subscription = bus.subscribe(subjects.creditsInto(task.jobId, task.attempt, output.edge.id, task.subtaskIndex), (data, subject) => {
      const outcome = decode(data, ["credit"]);
      const writer = outcome.ok ? byConsumer.get(outcome.message.consumer) : undefined;
      if (!outcome.ok) rejections.reject(outcome, { subject, bytes: data.length });
      else if (!writer) rejections.reject({ reason: "invalid", detail: `credit from unknown consumer ${outcome.message.consumer}` }, { subject, bytes: data.length });
      else writer.grant(outcome.message.credits);
    });
    this.creditSubscriptions.push(() => subscription.unsubscribe());
  }

  // ------------------------------------------------------------------ sources

  private async runSource(): Promise<void> {
    const { streamGraph, clock } = this.options;
    const head = streamGraph.node(this.vertex.nodes[0]);
    const reader = this.reader!;
    await reader.open?.();
    const output = this.chain.outputs.get(head.id)!;
    const immediate = this.vertex.bufferTimeoutMs === 0;
    try {
      for (;;) {
        if (this.stopped || this.stopAfterBarrier !== undefined) break;
        if (this.isBackpressured()) {
          await new Promise<void>((resolve) => (this.creditWaiter = resolve));
          continue;
        }
        let status: InputStatus = "more";
        for (let i = 0; i < POLLS_PER_TURN && status === "more" && !this.isBackpressured(); i++) status = reader.pollNext(output);
        if (immediate) this.flushWriters();
        if (status === "end") break;
        if (status === "nothing") await (reader.available?.() ?? new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 1)));
        else await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await reader.close?.();
    }
    if (this.stopped) return;
    // A bounded source has no more event time to wait for (Flink's MAX_WATERMARK); a source
    // stopped by a savepoint without drain ends without it, so no further windows fire.
    if (this.stopAfterBarrier !== "terminate") {
      this.time.control.markActive();
      output.emitWatermark(Infinity);
    }
    await this.finish();
  }

  // ------------------------------------------------------------------ checkpoints

  /** Subscribes to triggers (sources) and completion notices, and sets up barrier alignment. */
  private startCheckpointing(): void {
    // Even without periodic checkpoints a job takes savepoints, so barriers are always handled.
    const io = this.options.checkpointIo;
    if (!io) return;
    const mode = this.checkpointing?.mode ?? "exactly-once";
    const { bus, task, clock, log } = this.options;
    this.checkpointer = new SubtaskCheckpointer({
      bus,
      clock,
      log,
      task,
      vertex: this.vertex,
      slots: this.slots,
      storage: io.storage,
      openSavepointStorage: io.savepointStorage,
      incremental: this.options.jobGraph.config.incrementalCheckpoints,
      metrics: this.options.metrics,
    });
    if (this.gate) this.aligner = new BarrierAligner(mode, new Set(this.gate.channels.map((_, i) => i)));
    this.controlSubscription = bus.subscribe(subjects.checkpointControl(task.jobId), (data, subject) => {
      const outcome = decode(data, ["trigger-checkpoint", "checkpoint-notify"]);
      if (!outcome.ok) this.options.rejections.reject(outcome, { subject, bytes: data.length });
      else if (outcome.message.type === "trigger-checkpoint") this.guard(() => this.onTrigger(outcome.message as TriggerCheckpoint));
      else {
        const { checkpointId, outcome: result } = outcome.message;
        this.guard(() => this.onNotify(checkpointId, result));
      }
    });
  }

  /** A source subtask injects the barrier between two polls (this handler never runs inside one). */
  private onTrigger(trigger: TriggerCheckpoint): void {
    if (!this.vertex.isSource || this.stopped || this.finishing || this.stopAfterBarrier !== undefined) return;
    const barrier: Barrier = { kind: "barrier", checkpointId: trigger.checkpointId, timestamp: trigger.timestamp, mode: trigger.mode, savepointDir: trigger.savepointDir };
    if (trigger.unaligned) this.startUnaligned({ ...barrier, unaligned: true }, undefined);
    else this.takeSnapshotAndForward(barrier, 0);
    if (trigger.stop) {
      this.stopAfterBarrier = trigger.stop;
      this.creditWaiter?.();
    }
  }

  private onNotify(checkpointId: number, outcome: "complete" | "aborted"): void {
    if (this.stopped) return;
    if (outcome === "aborted" && this.unaligned?.checkpointId === checkpointId) {
      this.unaligned.cancel();
      this.unaligned = undefined;
    }
    if (outcome === "aborted" && this.aligner) this.applyAlignment(this.aligner.onCancel(this.alignment, checkpointId), undefined);
    this.checkpointer?.notify(checkpointId, outcome);
  }

  private takeSnapshotAndForward(barrier: Barrier, alignmentMs: number): void {
    this.checkpointer?.snapshot(barrier, alignmentMs);
    for (const output of this.chain.partitioned) output.broadcastControl(barrier);
  }

  // ------------------------------------------------------------------ unaligned checkpoints

  /** A priority frame: an unaligned barrier, handled on arrival, ahead of the frames buffered before it. */
  private onPriority(channel: InputChannel, elements: DataElement[]): void {
    for (const element of elements) {
      if (element.kind !== "barrier" || this.stopped) continue;
      const current = this.unaligned;
      if (current?.checkpointId === element.checkpointId) {
        if (current.channelDone(channel)) this.completeUnaligned();
        continue;
      }
      if (element.checkpointId <= this.lastUnalignedId) continue; // an old one, already done or given up
      if (current) {
        current.cancel();
        this.checkpointer?.abandon(current.checkpointId, `checkpoint ${element.checkpointId} started before it completed`);
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

  /**
   * Takes this subtask's unaligned snapshot now: the operators' state, what the outputs have not
   * sent (the barrier overtakes it downstream at once), and, as it completes, what the inputs had
   * delivered before their barriers.
   */
  private startUnaligned(barrier: Barrier, first: InputChannel | undefined, delivered: ReadonlySet<InputChannel> = new Set()): void {
    const captured = this.checkpointer?.captureOperators(barrier);
    this.lastUnalignedId = barrier.checkpointId;
    if (!captured) return;
    const outputs: ChannelStateSnapshot["outputs"] = [];
    for (const output of this.chain.partitioned) {
      output.writers.forEach((writer, i) => {
        outputs.push({ edgeId: output.edge.id, consumer: output.consumers[i], elements: writer.inFlight(decodeFrameElements) });
        writer.emitPriority(barrier);
      });
    }
    this.unaligned = new UnalignedCheckpoint(barrier, this.gate?.channels ?? [], first, delivered, captured.packed, outputs, captured.syncMs, this.options.clock.now());
    if (this.unaligned.isComplete) this.completeUnaligned();
  }

  /**
   * An aligned checkpoint took too long to align (or upstream switched it): take it unaligned now.
   * The channels that delivered the barrier are released (what they buffer came after it); the
   * others owe what they buffer and what arrives until their barrier.
   */
  private switchToUnaligned(barrier: Barrier, first: InputChannel | undefined): void {
    const gate = this.gate!;
    if (this.alignment.kind !== "aligning" || this.alignment.checkpointId !== barrier.checkpointId) return;
    const delivered = new Set([...this.alignment.arrived].map((index) => gate.channels[index]));
    this.alignment = { kind: "idle", lastSeen: barrier.checkpointId };
    this.clearAlignmentTimer();
    this.countAlignmentTimeout();
    gate.unblockAll();
    this.startUnaligned({ ...barrier, unaligned: true }, first, delivered);
    this.scheduleDrain();
  }

  /** An aligned checkpoint taken unaligned here because its alignment (or its barrier) took too long. */
  private countAlignmentTimeout(): void {
    this.options.metrics.counter("weir_checkpoint_alignment_timeouts_total", { job: this.options.task.jobId, vertex: this.vertex.id }).inc();
  }

  /** An aligned barrier that arrives later than the aligned-checkpoint timeout after its trigger is taken unaligned. */
  private isOverdue(barrier: Barrier): boolean {
    const timeout = this.checkpointing?.alignedTimeoutMs;
    return timeout !== undefined && timeout > 0 && !barrier.unaligned && barrier.savepointDir === undefined && this.options.clock.now() - barrier.timestamp >= timeout;
  }

  private clearAlignmentTimer(): void {
    if (this.alignmentTimer !== undefined) this.options.clock.clearTimeout(this.alignmentTimer);
    this.alignmentTimer = undefined;
  }

  private completeUnaligned(): void {
    const done = this.unaligned!;
    this.unaligned = undefined;
    const channels = done.channelState();
    const elements = [...channels.inputs, ...channels.outputs].reduce((sum, c) => sum + c.elements.length, 0);
    this.options.metrics.counter("weir_checkpoint_inflight_elements_total", { job: this.options.task.jobId, vertex: this.vertex.id }).inc(elements);
    this.checkpointer?.completeUnaligned(done.barrier, done.packedOperators, channels, { syncMs: done.syncMs, alignmentMs: this.options.clock.now() - done.startedAt });
  }

  /** After a restore from an unaligned checkpoint: first what the outputs had not sent, then what the inputs had not processed. */
  private replayChannelState(): void {
    const channels = this.restoredChannels;
    if (!channels) return;
    this.restoredChannels = undefined;
    for (const { edgeId, consumer, elements } of channels.outputs) {
      const output = this.chain.partitioned.find((o) => o.edge.id === edgeId);
      const writer = output?.writers[output.consumers.indexOf(consumer)];
      if (!writer) throw new Error(`the restored in-flight data names output ${edgeId}→${consumer}, which this subtask does not have`);
      for (const element of elements) {
        if (element.kind !== "records") writer.emitControl(element);
        else element.records.forEach((record, i) => writer.emit(record, element.timestamps?.[i] ?? undefined));
      }
    }
    for (const { edgeId, producer, elements } of channels.inputs) {
      const channel = this.gate?.channels.find((c) => c.edgeId === edgeId && c.producer === producer);
      if (!channel) throw new Error(`the restored in-flight data names input ${edgeId}[${producer}], which this subtask does not have`);
      this.processFrame(channel, { type: "frame", v: PROTOCOL_VERSION, seq: 0, producer, elements: elements.filter(isReplayable) });
    }
  }

  /** A barrier arrived on `channel`. Returns true when the channel is now blocked. */
  private onBarrier(channel: InputChannel, barrier: Barrier): boolean {
    if (!this.aligner) {
      // Checkpointing is off here (a stale barrier, or a restore-only run): pass it on.
      for (const output of this.chain.partitioned) output.broadcastControl(barrier);
      return false;
    }
    const starting = this.alignment.kind === "idle";
    if (starting) this.alignmentStartedAt = this.options.clock.now();
    const index = this.gate!.channels.indexOf(channel);
    this.applyAlignment(this.aligner.onBarrier(this.alignment, barrier.checkpointId, index), barrier);
    const timeout = this.checkpointing?.alignedTimeoutMs;
    if (timeout && barrier.savepointDir === undefined && this.alignment.kind === "aligning" && this.alignment.checkpointId === barrier.checkpointId && this.alignmentTimer === undefined) {
      this.alignmentTimer = this.options.clock.setTimeout(() => {
        this.alignmentTimer = undefined;
        this.guard(() => this.switchToUnaligned(barrier, undefined));
      }, timeout);
    }
    return channel.blocked;
  }

  private applyAlignment(step: { state: AlignerState; actions: AlignerActions }, barrier: Barrier | undefined): void {
    const gate = this.gate!;
    this.alignment = step.state;
    const { trigger, block, releaseAll } = step.actions;
    if (step.state.kind === "idle" || step.actions.abort.length > 0) this.clearAlignmentTimer();
    for (const index of block) gate.block(gate.channels[index]);
    for (const checkpointId of trigger) {
      if (barrier?.checkpointId !== checkpointId) continue;
      this.takeSnapshotAndForward(barrier, this.options.clock.now() - this.alignmentStartedAt);
    }
    if (releaseAll) {
      gate.unblockAll();
      this.scheduleDrain();
    }
  }

  // ------------------------------------------------------------------ inputs

  private scheduleDrain(): void {
    if (this.drainScheduled || this.stopped) return;
    this.drainScheduled = true;
    setImmediate(() => this.guard(() => this.drain()));
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.stopped || this.finishing) return;
    const gate = this.gate!;
    for (let i = 0; i < FRAMES_PER_TURN; i++) {
      if (this.isBackpressured()) return; // resumed by onCredit
      const next = gate.poll();
      if (!next) break;
      const consumed = this.processFrame(next.channel, next.frame);
      if (consumed) gate.release(next.channel);
      if (this.stopped) return;
    }
    if (this.vertex.bufferTimeoutMs === 0) this.flushWriters();
    if (gate.hasBufferedFrames) this.scheduleDrain();
    else if (gate.allEnded && !gate.hasDeferredFrames) void this.finish().catch((error: Error) => this.fail(error));
  }

  /** Processes a frame's elements in order; false when a barrier blocked the channel and the rest went back to the gate. */
  private processFrame(channel: InputChannel, frame: Frame): boolean {
    const head = this.orderedOperators[0];
    const input = channel.inputIndex;
    const elements = frame.elements;
    for (let e = 0; e < elements.length; e++) {
      const element = elements[e];
      switch (element.kind) {
        case "records": {
          if (head === undefined) break; // finished on restore: nothing runs here
          const { records, timestamps } = element;
          const current = this.timestamp;
          if (timestamps === undefined) {
            current.value = undefined;
            for (let i = 0; i < records.length; i++) head.process(records[i], input);
          } else {
            for (let i = 0; i < records.length; i++) {
              current.value = timestamps[i] ?? undefined;
              head.process(records[i], input);
            }
          }
          this.recordsIn += records.length;
          break;
        }
        case "watermark":
          this.time.onWatermark(channel, element.timestamp);
          break;
        case "stream-status":
          this.time.onStatus(channel, element.status);
          break;
        case "end-of-partition":
          this.time.onEndOfInput(channel);
          if (this.unaligned?.channelDone(channel)) this.completeUnaligned();
          if (this.aligner) this.applyAlignment(this.aligner.onEndOfPartition(this.alignment, this.gate!.channels.indexOf(channel)), undefined);
          break;
        case "latency-marker":
          this.onLatencyMarker(element);
          break;
        case "barrier":
          if (this.onBarrier(channel, element) && e + 1 < elements.length) {
            this.gate!.unread(channel, { ...frame, elements: elements.slice(e + 1) });
            return false;
          }
          break;
      }
    }
    return true;
  }

  /** A sink records the marker's age; others pass it on along one channel per output (as Flink does). */
  private onLatencyMarker(marker: Extract<DataElement, { kind: "latency-marker" }>): void {
    const outputs = this.chain.partitioned;
    if (outputs.length === 0) {
      this.options.metrics
        .histogram("weir_latency_ms", { sink: this.vertex.id, source: marker.sourceVertex, sourceSubtask: String(marker.sourceSubtask) })
        .observe(Math.max(0, this.options.clock.now() - marker.markedTime));
      return;
    }
    for (const output of outputs) output.sendControlToOne(marker, this.latencyCursor);
    this.latencyCursor += 1;
  }

  /** Sources: a latency marker on every output channel each interval. */
  private startLatencyMarkers(): void {
    const interval = this.options.jobGraph.config.latencyTrackingIntervalMs ?? 0;
    if (interval <= 0 || !this.vertex.isSource) return;
    const { clock, task } = this.options;
    const tick = () => {
      if (this.stopped || this.finishing) return;
      const marker: DataElement = { kind: "latency-marker", markedTime: clock.now(), sourceVertex: this.vertex.id, sourceSubtask: task.subtaskIndex };
      this.guard(() => {
        for (const output of this.chain.partitioned) output.broadcastControl(marker);
      });
      this.latencyTimer = clock.setTimeout(tick, interval);
    };
    this.latencyTimer = clock.setTimeout(tick, interval);
  }

  // ------------------------------------------------------------------ outputs

  private isBackpressured(): boolean {
    const writers = this.chain.writers;
    for (let i = 0; i < writers.length; i++) if (writers[i].isBackpressured) return true;
    return false;
  }

  private onCredit(): void {
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    waiter?.();
    if (this.gate) this.scheduleDrain();
    if (this.finishing) this.checkDrained();
  }

  private flushWriters(): void {
    for (const writer of this.chain.writers) if (writer.hasBufferedRecords) writer.flush();
  }

  private startFlusher(): void {
    const interval = this.vertex.bufferTimeoutMs;
    if (interval <= 0 || this.chain.writers.length === 0) return;
    const tick = () => {
      if (this.stopped) return;
      this.guard(() => this.flushWriters());
      this.flushTimer = this.options.clock.setTimeout(tick, interval);
    };
    this.flushTimer = this.options.clock.setTimeout(tick, interval);
  }

  // ------------------------------------------------------------------ end

  private checkDrained(): void {
    if (!this.isBackpressured()) this.drainedWaiter?.();
  }

  private async finish(): Promise<void> {
    if (this.finishing || this.stopped) return;
    this.finishing = true;
    for (const operator of this.orderedOperators) await operator.finish();
    for (const output of this.chain.partitioned) output.broadcastControl({ kind: "end-of-partition" });
    if (this.isBackpressured()) await new Promise<void>((resolve) => (this.drainedWaiter = resolve));
    // Acknowledge every snapshot taken before the end: a stop-with-savepoint waits for them.
    await this.checkpointer?.settle();
    await this.options.bus.flush();
    // Canceled or failed while finishing: fail() has released the operators and settles the task.
    if (this.stopped) return;
    try {
      await this.release();
    } catch (error) {
      // A close() that throws at the end fails the subtask (and the job fails over), never hangs it.
      this.settle.reject(error as Error);
      return;
    }
    this.settle.resolve();
  }

  private async release(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer !== undefined) this.options.clock.clearTimeout(this.flushTimer);
    if (this.latencyTimer !== undefined) this.options.clock.clearTimeout(this.latencyTimer);
    for (const timers of this.timers) timers.stop();
    this.controlSubscription?.unsubscribe();
    this.clearAlignmentTimer();
    this.checkpointer?.close();
    this.gate?.close();
    for (const unsubscribe of this.creditSubscriptions) unsubscribe();
    // Every operator is closed and every backend disposed even if one throws; the first error wins.
    let failure: unknown;
    for (const operator of this.orderedOperators) await Promise.resolve().then(() => operator.close()).catch((error: unknown) => (failure ??= error));
    // A disk backend's files belong to this execution only: the checkpoint is the durable copy.
    for (const slot of this.slots) await slot.keyedState?.dispose().catch((error: unknown) => (failure ??= error));
    if (failure !== undefined) throw failure;
  }

  /** Runs `fn`, failing the subtask if it throws. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private fail(error: Error): void {
    if (this.stopped) return;
    this.release()
      .catch((closeError: Error) => this.options.log.warn({ err: closeError }, "closing operators after a failure failed too"))
      .finally(() => this.settle.reject(error));
    this.stopped = true;
  }
}
