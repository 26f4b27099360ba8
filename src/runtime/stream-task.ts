// One running subtask: its operator chain, its input gate and its channel writers. Drives
// records through the chain frame by frame (or, for a source, batch by batch), pauses while any
// output lacks credit, and finishes when every input has ended. With checkpointing on, sources
// inject barriers when the job master triggers, other subtasks align them (a pure BarrierAligner
// decides; the gate blocks channels) and every subtask snapshots at the barrier. The subtask actor
// owns the lifecycle; this class does the data plane and sends no per-record events anywhere.

import type { Bus } from "../bus/bus.ts";
import type { Rejections } from "../messages/rejections.ts";
import type { CheckpointingConfig, Frame, JobGraphSpec, JobVertexSpec, SubtaskId, TaskRestore } from "../messages/schema.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import { CurrentTimestamp, type StreamOperator } from "../operators/operator.ts";
import { SubtaskTime, type SubtaskTimeTargets } from "./subtask-time.ts";
import type { InputStatus, SourceReader } from "../operators/source.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import type { Clock } from "./clock.ts";
import { subjects } from "../bus/subjects.ts";
import { decode } from "../messages/codec.ts";
import type { CheckpointIo } from "./checkpoint-io.ts";
import { buildChain, producersOf, type BuiltChain, type PartitionedOutput } from "./operator-chain.ts";
import { InputGate, type InputChannel } from "./input-gate.ts";
import { SubtaskCheckpointer, type Barrier, type OperatorSlot } from "./subtask-checkpointer.ts";
import { openSlot, readRestoredSnapshots, restoredShare } from "./operator-slots.ts";
import { replayChannelState } from "./unaligned-checkpoint.ts";
import { SubtaskBarriers } from "./subtask-barriers.ts";
import { LatencyMarkers } from "./latency-markers.ts";
import type { ChannelStateSnapshot } from "../state/operator-snapshot.ts";
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
  private orderedOperators: StreamOperator[] = [];
  private slots: OperatorSlot[] = [];
  private reader?: SourceReader<unknown>;
  /** Restored as finished (it had finished when the checkpoint was taken): it only passes on the end of input. */
  private finishedOnRestore = false;
  private readonly checkpointing?: CheckpointingConfig;
  private checkpointer?: SubtaskCheckpointer;
  /** Barriers, alignment and checkpoint notices (absent while restored as finished). */
  private barriers?: SubtaskBarriers;
  /** Stop-with-savepoint: after its barrier a source ends, with (drain) or without a final watermark. */
  private stopAfterBarrier?: "drain" | "terminate";
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
  private latency!: LatencyMarkers;
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
    const { bus, task, jobGraph, streamGraph, clock, log, metrics, restore, checkpointIo } = this.options;
    this.chain = buildChain({ bus, task, vertex: this.vertex, jobGraph, streamGraph, onCredit: () => this.onCredit(), timestamp: this.timestamp });
    for (const output of this.chain.partitioned) this.subscribeCredits(output);
    const intervalMs = jobGraph.config.latencyTrackingIntervalMs ?? 0;
    this.latency = new LatencyMarkers({ task, vertex: this.vertex, clock, metrics, outputs: this.chain.partitioned, intervalMs });
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
        onPriority: (channel, elements) => this.guard(() => this.barriers?.onPriority(channel, elements)),
        isOverdue: (barrier) => this.barriers?.isOverdue(barrier) ?? false,
        onRecordedBarrier: (channel, checkpointId) => this.guard(() => this.barriers?.onRecordedBarrier(channel, checkpointId)),
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
    for (const [index, nodeId] of this.vertex.nodes.entries()) {
      const operator = this.chain.operators.get(nodeId);
      if (!operator) continue;
      const uid = this.vertex.operatorUids[index];
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
          metrics,
          bus,
          timestamp: this.timestamp,
          streamStatus: this.time.control,
          fail: (error) => this.fail(error),
          checkpointing: this.checkpointing !== undefined,
          ...state,
        }),
      });
      this.slots.push(slot);
      this.orderedOperators.push(operator);
    }
    if (this.vertex.isSource) this.createReader(old);
    this.startCheckpointing();
  }

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
    this.latency.start(() => !this.stopped && !this.finishing, (fn) => this.guard(fn));
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
    // Stopped by a savepoint without drain: nothing more is emitted and nothing ends; the job
    // master cancels the job once the savepoint is complete, so no further windows fire.
    if (this.stopped || this.stopAfterBarrier === "terminate") return;
    // A bounded source has no more event time to wait for (Flink's MAX_WATERMARK).
    this.time.control.markActive();
    output.emitWatermark(Infinity);
    await this.finish();
  }

  // ------------------------------------------------------------------ checkpoints

  /** Subscribes to triggers (sources) and completion notices, and sets up barrier handling. */
  private startCheckpointing(): void {
    // Even without periodic checkpoints a job takes savepoints, so barriers are always handled.
    const io = this.options.checkpointIo;
    if (!io) return;
    const { bus, task, clock, log, metrics } = this.options;
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
      metrics,
    });
    this.barriers = new SubtaskBarriers({
      bus,
      rejections: this.options.rejections,
      task,
      vertex: this.vertex,
      clock,
      metrics,
      config: this.checkpointing,
      checkpointer: this.checkpointer,
      gate: this.gate,
      outputs: this.chain.partitioned,
      scheduleDrain: () => this.scheduleDrain(),
      guard: (fn) => this.guard(fn),
      acceptsTrigger: () => !this.stopped && !this.finishing && this.stopAfterBarrier === undefined,
      onStop: (stop) => {
        this.stopAfterBarrier = stop;
        this.creditWaiter?.();
      },
    });
  }

  /** After a restore from an unaligned checkpoint, its in-flight data goes first. */
  private replayChannelState(): void {
    const channels = this.restoredChannels;
    this.restoredChannels = undefined;
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

  /** An in-band barrier: aligned by the barrier handler; without one (restored as finished) it passes on. Returns true when its channel is now blocked. */
  private onBarrier(channel: InputChannel, barrier: Barrier): boolean {
    if (this.barriers) return this.barriers.onBarrier(channel, barrier);
    for (const output of this.chain.partitioned) output.broadcastControl(barrier);
    return false;
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
    this.latency?.stop();
    for (const slot of this.slots) slot.timers?.stop();
    this.barriers?.close();
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
