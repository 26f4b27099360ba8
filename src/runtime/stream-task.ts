// One running subtask's data flow: records go through its operator chain frame by frame (or, for
// a source, batch by batch, see source-loop.ts), processing pauses while an output lacks credit,
// and the subtask finishes when every input has ended and its output has left (with checkpointing,
// once its final checkpoint has completed too: its sinks commit on it). Barriers in the
// input are handed to SubtaskBarriers, which decides with the pure barrier handler and snapshots
// through the SubtaskCheckpointer. The subtask actor owns the lifecycle; this class sends no
// per-record events anywhere.

import type { DeploymentBinding } from "../messages/deployment-binding.ts";
import type { Bus } from "../bus/bus.ts";
import type { Rejections } from "../messages/rejections.ts";
import type { Frame, JobGraphSpec, JobVertexSpec, SubtaskId, TaskRestore, TaskSample, TriggerCheckpoint } from "../messages/schema.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import { CurrentTimestamp, type StreamOperator } from "../operators/operator.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import type { CheckpointIo } from "./checkpoint-io.ts";
import type { Clock } from "../core/clock.ts";
import { fuseChain, sourceOutputOf, sourceWatermarkOperator } from "./chain-fusion.ts";
import { reportFinished, SourceAlignment } from "./source-alignment.ts";
import { InputGate, type InputChannel } from "./input-gate.ts";
import { LatencyMarkers } from "./latency-markers.ts";
import { buildChain, producersOf, type BuiltChain } from "./operator-chain.ts";
import { runSourceLoop, type SourceLoopHost } from "./source-loop.ts";
import { SubtaskBarriers } from "./subtask-barriers.ts";
import type { LeaderFence } from "../messages/leader-fence.ts";
import { SubtaskCheckpointer } from "./subtask-checkpointer.ts";
import { SubtaskTime } from "./subtask-time.ts";
import { openTaskOperators, type TaskOperators } from "./task-operators.ts";
import { TaskMeter } from "./task-meter.ts";
import { TaskOutputs } from "./task-outputs.ts";
import { replayChannelState } from "./unaligned-checkpoint.ts";

export interface StreamTaskOptions {
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: MetricRegistry;
  rejections: Rejections;
  /** The worker's leader fence (leader-fence.ts). */
  fence?: LeaderFence;
  task: SubtaskId;
  jobGraph: JobGraphSpec;
  streamGraph: StreamGraph;
  /** This subtask's share of a checkpoint or savepoint to start from. */
  restore?: TaskRestore;
  /** What binds this subtask's messages to its deployment: its attempt's channel token and the collect key. */
  binding: DeploymentBinding;
  checkpointIo?: CheckpointIo;
}

/** Frames processed per turn before yielding to the event loop (credits, control messages). */
const FRAMES_PER_TURN = 16;

export class TaskCanceledError extends Error {
  constructor() {
    super("the subtask was canceled");
    this.name = "TaskCanceledError";
  }
}

export class StreamTask implements SourceLoopHost {
  readonly vertex: JobVertexSpec;
  private chain!: BuiltChain;
  private outputs!: TaskOutputs;
  private gate?: InputGate;
  private readonly opened: TaskOperators = { operators: [], slots: [] };
  /** The chain's operators that may refuse input for a while (isBlocked), asked once per frame. */
  private blockable: StreamOperator[] = [];
  /** Restored as finished (it had finished when the checkpoint was taken): it only passes on the end of input. */
  private finishedOnRestore = false;
  private checkpointer?: SubtaskCheckpointer;
  /** Barriers, alignment and checkpoint notices (absent while restored as finished). */
  private barriers?: SubtaskBarriers;
  /** Stop-with-savepoint: after its barrier a source ends, with (drain) or without a final watermark. */
  private stopAfterBarrier?: "drain" | "terminate";
  private drainScheduled = false;
  private finishing = false;
  private stopped = false;
  /** Wakes the source loop when credit arrives. */
  private creditWaiter?: () => void;
  /** Ends the source loop's current wait for its reader (one at a time: nothing accumulates). */
  private wakeWait?: () => void;
  /** Wakes finish() when the last frames have left. */
  private drainedWaiter?: () => void;
  /** The event time of the record in flight, shared by the chain. */
  private readonly timestamp = new CurrentTimestamp();
  /** Event time and stream status on the input side (sources have no inputs). */
  private time!: SubtaskTime;
  private latency!: LatencyMarkers;
  /** Watermark alignment of this source's reader (withWatermarkAlignment). */
  private alignment?: SourceAlignment;
  private settle!: { resolve: () => void; reject: (error: Error) => void };
  private readonly done: Promise<void>;
  recordsIn = 0;
  private readonly meter = new TaskMeter();
  private readonly startedAt: number;

  constructor(private readonly options: StreamTaskOptions) {
    const vertex = options.jobGraph.vertices.find((v) => v.id === options.task.vertexId);
    if (!vertex) throw new Error(`job graph has no vertex ${options.task.vertexId}`);
    this.vertex = vertex;
    this.startedAt = options.clock.now();
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
    const { bus, task, jobGraph, streamGraph, clock, metrics, restore, rejections, binding } = this.options;
    const token = binding.channelToken;
    this.chain = buildChain({ bus, task, token, vertex: this.vertex, jobGraph, streamGraph, onCredit: () => this.onCredit(), timestamp: this.timestamp });
    this.outputs = new TaskOutputs(this.chain.partitioned, this.chain.writers, clock);
    this.outputs.subscribeCredits(bus, task, token, rejections);
    const intervalMs = jobGraph.config.latencyTrackingIntervalMs ?? 0;
    this.latency = new LatencyMarkers({ task, vertex: this.vertex, clock, metrics, outputs: this.chain.partitioned, intervalMs });
    this.gate = this.createInputGate();
    const head = () => this.opened.operators[0];
    this.time = new SubtaskTime(this.gate?.channels ?? [], {
      watermark: (timestamp, input) => head()?.onWatermark(timestamp, input),
      inputStatus: (status, input) => head()?.onInputStatus?.(status, input),
      announce: (status) => this.outputs.broadcast({ kind: "stream-status", status }),
    });
    if (restore?.finished) {
      this.finishedOnRestore = true;
      return;
    }
    const shared = { timestamp: this.timestamp, streamStatus: this.time.control, fail: (error: Error) => this.fail(error), wakeInput: () => this.wakeInput() };
    await openTaskOperators({ ...this.options, vertex: this.vertex, chain: this.chain, shared, guard: (fn) => this.guard(fn) }, this.opened);
    fuseChain(this.chain.operators, (nodeId) => streamGraph.node(nodeId).name);
    this.blockable = this.opened.operators.filter((operator) => operator.isBlocked !== undefined);
    this.startCheckpointing();
  }

  private createInputGate(): InputGate | undefined {
    const { bus, task, jobGraph, clock, rejections, binding } = this.options;
    const inputs = jobGraph.edges.filter((e) => e.target === this.vertex.id);
    if (inputs.length === 0) return undefined;
    return new InputGate({
      bus,
      clock,
      jobId: task.jobId,
      attempt: task.attempt,
      token: binding.channelToken,
      consumer: task.subtaskIndex,
      edges: inputs.map((e) => ({ edgeId: e.id, inputIndex: e.inputIndex, producers: producersOf(e, jobGraph, task.subtaskIndex) })),
      rejections,
      onReadable: () => this.scheduleDrain(),
      onChannelError: (error) => this.fail(error),
      onPriority: (channel, elements) => this.guard(() => this.barriers?.onPriority(channel, elements)),
      isOverdue: (barrier) => this.barriers?.isOverdue(barrier) ?? false,
      onRecordedBarrier: (channel, checkpointId) => this.guard(() => this.barriers?.onRecordedBarrier(channel, checkpointId)),
    });
  }

  /** Sets up snapshots and barrier handling (even without periodic checkpoints a job takes savepoints). */
  private startCheckpointing(): void {
    const io = this.options.checkpointIo;
    if (!io) return;
    const { bus, task, clock, log, metrics, rejections, jobGraph } = this.options;
    const vertex = this.vertex;
    const incremental = jobGraph.config.incrementalCheckpoints;
    this.checkpointer = new SubtaskCheckpointer({ bus, clock, log, task, vertex, slots: this.opened.slots, storage: io.storage, openSavepointStorage: io.savepointStorage, incremental, metrics });
    this.barriers = new SubtaskBarriers({
      bus,
      rejections,
      fence: this.options.fence,
      task,
      vertex,
      clock,
      metrics,
      config: jobGraph.config.checkpointing,
      checkpointer: this.checkpointer,
      gate: this.gate,
      outputs: this.chain.partitioned,
      scheduleDrain: () => this.scheduleDrain(),
      guard: (fn) => this.guard(fn),
      acceptsTrigger: () => !this.stopped && !this.finishing && this.stopAfterBarrier === undefined,
      onStop: (stop: NonNullable<TriggerCheckpoint["stop"]>) => {
        this.stopAfterBarrier = stop;
        this.creditWaiter?.();
        this.alignment?.wake();
      },
    });
  }

  /** Runs until every input has ended and all output has been delivered; rejects on failure or cancel. */
  run(): Promise<void> {
    this.outputs.startFlusher(this.vertex.bufferTimeoutMs, (fn) => this.guard(fn));
    this.latency.start(() => !this.stopped && !this.finishing, (fn) => this.guard(fn));
    if (!this.finishedOnRestore) this.guard(() => this.startOperators());
    if (this.finishedOnRestore && this.vertex.watermarkAlignment) reportFinished(this.options.bus, this.options.task, this.options.binding.channelToken, this.vertex.watermarkAlignment);
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

  /** Its figures so far, for the worker's metrics report (cheap: sums over channels). */
  sample(): TaskSample {
    const out = this.outputs?.totals() ?? { records: 0, bytes: 0, waitingFrames: 0, watermark: -Infinity };
    return {
      recordsIn: this.recordsIn,
      recordsOut: out.records,
      bytesIn: this.gate?.bytesIn ?? 0,
      bytesOut: out.bytes,
      busyMs: this.meter.busyMs,
      backPressuredMs: this.meter.backPressuredTotal(),
      inputWatermark: this.time?.inputWatermark ?? -Infinity,
      outputWatermark: out.watermark,
      queuedFrames: this.gate?.bufferedFrames ?? 0,
      framesAwaitingCredit: out.waitingFrames,
      startedAt: this.startedAt,
    };
  }

  // ------------------------------------------------------------------ sources

  private async runSource(): Promise<void> {
    const output = this.chain.outputs.get(this.vertex.nodes[0])!;
    // Registered just before the reader opens (it may ask for splits as it does).
    this.opened.splitLink?.register();
    this.startAlignment(output);
    const end = await runSourceLoop(this.opened.reader!, sourceOutputOf(output), this);
    if (end === "end") this.alignment?.finish();
    // Stopped by a savepoint without drain: nothing more is emitted and nothing ends; the job
    // master cancels the job once the savepoint is complete, so no further windows fire.
    if (this.stopped || this.stopAfterBarrier === "terminate") return;
    // A bounded source has no more event time to wait for (Flink's MAX_WATERMARK).
    this.time.control.markActive();
    output.emitWatermark(Infinity);
    await this.finish();
  }

  private startAlignment(output: Parameters<typeof sourceWatermarkOperator>[0]): void {
    const alignment = this.vertex.watermarkAlignment;
    const operator = sourceWatermarkOperator(output);
    if (!alignment || !operator) return;
    const { bus, clock, task, rejections, binding } = this.options;
    this.alignment = new SourceAlignment({ bus, clock, task, token: binding.channelToken, rejections, alignment, watermarks: operator.splits, reader: this.opened.reader!, fail: (error) => this.fail(error) });
    this.alignment.start();
  }

  // The source loop's host (SourceLoopHost): methods, not closures, since it asks once per poll.
  get clock(): Clock {
    return this.options.clock;
  }
  shouldStop(): boolean {
    return this.stopped || this.stopAfterBarrier !== undefined;
  }
  interruptible(wait: Promise<unknown>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.wakeWait = resolve;
      wait.then(() => resolve(), reject);
    });
  }
  pollsOneByOne(): boolean {
    return this.blockable.length !== 0;
  }

  isBackpressured(): boolean {
    return this.outputs.isBackpressured || (this.blockable.length !== 0 && this.chainBlocked()) || this.alignment?.holds() === true;
  }
  creditArrived(): Promise<void> {
    // Held by watermark alignment, not by credit: waits for the group's bound to allow it.
    if (!this.outputs.isBackpressured && this.alignment?.holds()) return this.alignment.allowed();
    this.meter.backPressured();
    return new Promise<void>((resolve) => (this.creditWaiter = resolve));
  }
  beforeBatch(): void {
    this.meter.beginTurn();
  }
  afterBatch(): void {
    if (this.vertex.bufferTimeoutMs === 0) this.outputs.flush();
    this.meter.endTurn();
  }

  /** Operators may emit on their own from now on (the whole chain is open); then an unaligned checkpoint's in-flight data is replayed. */
  private startOperators(): void {
    for (const operator of this.opened.operators) operator.start?.();
    this.replayChannelState();
  }

  /** After a restore from an unaligned checkpoint, its in-flight data goes first. */
  private replayChannelState(): void {
    const channels = this.opened.restoredChannels;
    this.opened.restoredChannels = undefined;
    if (channels) replayChannelState(channels, this.chain.partitioned, this.gate?.channels ?? [], (channel, frame) => this.processFrame(channel, frame));
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
    let blocked = false;
    this.meter.beginTurn();
    try {
      for (let i = 0; i < FRAMES_PER_TURN; i++) {
        if (this.outputs.isBackpressured) {
          this.meter.backPressured();
          return; // resumed by onCredit
        }
        if (this.blockable.length !== 0 && this.chainBlocked()) {
          blocked = true; // resumed by wakeInput
          break;
        }
        const next = gate.poll();
        if (!next) break;
        const consumed = this.processFrame(next.channel, next.frame);
        if (consumed) gate.release(next.channel);
        if (this.stopped) return;
      }
      if (this.vertex.bufferTimeoutMs === 0) this.outputs.flush();
    } finally {
      this.meter.endTurn();
    }
    if (blocked && gate.hasBufferedFrames) return;
    if (gate.hasBufferedFrames) this.scheduleDrain();
    else if (gate.allEnded && !gate.hasDeferredFrames) void this.finish().catch((error: Error) => this.fail(error));
  }

  /** Processes a frame's elements in order; false when a barrier blocked the channel and the rest went back to the gate. */
  private processFrame(channel: InputChannel, frame: Frame): boolean {
    const head = this.opened.operators[0];
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
          this.barriers?.onEndOfPartition(channel);
          break;
        case "latency-marker":
          this.latency.onMarker(element);
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

  /** An in-band barrier: aligned by the barrier handler; without one (restored as finished) it passes on. True when its channel is now blocked. */
  private onBarrier(channel: InputChannel, barrier: Extract<Frame["elements"][number], { kind: "barrier" }>): boolean {
    if (this.barriers) return this.barriers.onBarrier(channel, barrier);
    this.outputs.broadcast(barrier);
    return false;
  }

  /** True while an operator of the chain takes no more input (once per frame or poll, never per record). */
  private chainBlocked(): boolean {
    const blockable = this.blockable;
    for (let i = 0; i < blockable.length; i++) if (blockable[i].isBlocked!()) return true;
    return false;
  }

  /** An operator can take input again, or emitted from its own callback: feed the chain, and send that output now under a zero buffer timeout. */
  private wakeInput(): void {
    if (this.stopped) return;
    if (this.vertex.bufferTimeoutMs === 0) this.outputs.flush();
    if (this.gate) {
      if (!this.finishing) this.scheduleDrain();
      return;
    }
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    waiter?.();
  }

  // ------------------------------------------------------------------ outputs and end

  private onCredit(): void {
    if (!this.outputs.isBackpressured) this.meter.creditArrived();
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    waiter?.();
    if (this.gate) this.scheduleDrain();
    if (this.finishing && !this.outputs.isBackpressured) this.drainedWaiter?.();
  }

  private async finish(): Promise<void> {
    if (this.finishing || this.stopped) return;
    this.finishing = true;
    for (const operator of this.opened.operators) await operator.finish();
    // Nothing more may be emitted after the end of partition: no timer fires while the final checkpoint is awaited.
    for (const slot of this.opened.slots) slot.timers?.stop();
    // The end of partition goes first: downstream subtasks reach their end too, and one checkpoint covers them all.
    this.outputs.broadcast({ kind: "end-of-partition" });
    if (this.outputs.isBackpressured) await new Promise<void>((resolve) => (this.drainedWaiter = resolve));
    // Acknowledge every snapshot taken before the end: a stop-with-savepoint waits for them.
    await this.checkpointer?.settle();
    await this.options.bus.flush();
    if (this.awaitsFinalCheckpoint()) await this.finalCheckpoint();
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

  /** With checkpointing, a subtask that ran its operators ends only once a checkpoint of its state after the end has completed. */
  private awaitsFinalCheckpoint(): boolean {
    return this.barriers !== undefined && !this.finishedOnRestore && this.options.jobGraph.config.checkpointing !== undefined && !this.stopped;
  }

  /** Waits for the final checkpoint (Flink's FLIP-147), then lets each operator settle what it committed on it. */
  private async finalCheckpoint(): Promise<void> {
    await this.barriers!.awaitFinalCheckpoint();
    if (this.stopped) return;
    for (const operator of this.opened.operators) await operator.finalCheckpointComplete?.();
    await this.checkpointer?.settle();
  }

  private async release(): Promise<void> {
    this.stopped = true;
    this.wakeSourceLoop();
    this.outputs?.close();
    this.latency?.stop();
    for (const slot of this.opened.slots) slot.timers?.stop();
    this.barriers?.close();
    this.checkpointer?.close();
    this.gate?.close();
    this.opened.splitLink?.close();
    this.alignment?.close();
    // Every operator is closed and every backend disposed even if one throws; the first error wins.
    let failure: unknown;
    for (const operator of this.opened.operators) await Promise.resolve().then(() => operator.close()).catch((error: unknown) => (failure ??= error));
    // A disk backend's files belong to this execution only: the checkpoint is the durable copy.
    for (const slot of this.opened.slots) await slot.keyedState?.dispose().catch((error: unknown) => (failure ??= error));
    if (failure !== undefined) throw failure;
  }

  /** A stopped subtask's source loop stops waiting (for input or credit), so its reader is closed. */
  private wakeSourceLoop(): void {
    const waiters = [this.wakeWait, this.creditWaiter];
    this.wakeWait = undefined;
    this.creditWaiter = undefined;
    for (const wake of waiters) wake?.();
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
    this.wakeSourceLoop();
    this.release()
      .catch((closeError: Error) => this.options.log.warn({ err: closeError }, "closing operators after a failure failed too"))
      .finally(() => this.settle.reject(error));
    this.stopped = true;
  }
}
