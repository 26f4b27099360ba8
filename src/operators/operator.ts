// The small interface every operator implements, and the context a running subtask hands it.
// Chained operators call each other's `process` directly; nothing here is per-record I/O.

import type { Bus } from "../bus/bus.ts";
import type { Output, RuntimeContext } from "../core/collector.ts";
import type { StreamStatusValue } from "../messages/schema.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { KeyedStateBackend } from "../state/keyed-state-backend.ts";
import type { KeyedStateStore } from "../core/keyed-state.ts";
import type { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from "../core/state-descriptors.ts";
import type { KeyedRuntimeContext } from "../core/process-functions.ts";
import type { KeyedTimerService, TimeDomain } from "../state/timer-service.ts";
import type { HeapOperatorStateStore } from "../state/operator-state.ts";
import type { FunctionSnapshotContext } from "../state/checkpointed-function.ts";

export type { Collector, Output, RuntimeContext } from "../core/collector.ts";

/**
 * The part of an operator's context a user function may see: where it runs, and — as in Flink's
 * RuntimeContext — keyed state, which reaches the operator's keyed state backend on a keyed
 * stream and throws a clear error elsewhere. Built once at open, never per record.
 */
export function runtimeContextOf(ctx: RuntimeContext & { readonly keyedState?: KeyedStateStore }): KeyedRuntimeContext {
  const { jobId, taskName, subtaskIndex, parallelism, maxParallelism, attempt } = ctx;
  const store = ctx.keyedState ?? NO_KEYED_STATE;
  return {
    jobId,
    taskName,
    subtaskIndex,
    parallelism,
    maxParallelism,
    attempt,
    getState: <T>(d: ValueStateDescriptor<T>) => store.getState(d),
    getListState: <T>(d: ListStateDescriptor<T>) => store.getListState(d),
    getReducingState: <T>(d: ReducingStateDescriptor<T>) => store.getReducingState(d),
    getAggregatingState: <IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>) => store.getAggregatingState(d),
    getMapState: <K, V>(d: MapStateDescriptor<K, V>) => store.getMapState(d),
  };
}

function keyedStateOnly(): never {
  throw new Error("keyed state is only available on a keyed stream: call keyBy() before this operator");
}

const NO_KEYED_STATE: KeyedStateStore = {
  getState: keyedStateOnly,
  getListState: keyedStateOnly,
  getReducingState: keyedStateOnly,
  getAggregatingState: keyedStateOnly,
  getMapState: keyedStateOnly,
};

/**
 * The event-time timestamp of the record being processed, shared by every operator of a chain
 * (Flink's StreamRecord timestamp). Set when a record enters the chain (from a frame, a source or
 * a timestamp assigner); read when a record leaves it. `undefined` means the record has none.
 */
export class CurrentTimestamp {
  value: number | undefined = undefined;
}

/** A subtask's stream status as its operators see it: sources and assigners may mark it idle. */
export interface StreamStatusControl {
  markIdle(): void;
  markActive(): void;
  isIdle(): boolean;
}

export interface OperatorContext extends RuntimeContext {
  readonly output: Output;
  /** The timestamp of the record being processed (shared along the chain). */
  readonly timestamp: CurrentTimestamp;
  readonly streamStatus: StreamStatusControl;
  /** Fails the subtask: for errors in an operator's own callbacks (timers, deferred flushes). */
  readonly fail: (error: Error) => void;
  /**
   * Wakes the subtask's input: call it when `isBlocked()` turned false, or after emitting from an
   * operator's own callback (the subtask then sends that output at once if its buffer timeout is 0).
   */
  readonly wakeInput: () => void;
  readonly clock: Clock;
  readonly log: Logger;
  /** The process's counters (absent in contexts built without one, e.g. some tests). */
  readonly metrics?: MetricRegistry;
  /** For operators that talk to the cluster themselves (the collect sink). */
  readonly bus: Bus;
  /** The key the collect sink signs its batches with (absent outside a deployed subtask). */
  readonly collectKey?: string;
  /** Present on keyed operators: the state of the key being processed. */
  readonly keyedState?: KeyedStateBackend;
  /** Present on keyed operators. */
  readonly timers?: KeyedTimerService;
  /** This operator's operator state (list, union list and broadcast state), restored or fresh. */
  readonly operatorState: HeapOperatorStateStore;
  /** True when the job takes periodic checkpoints (sinks may then commit output per checkpoint). */
  readonly checkpointing: boolean;
  /** The periodic checkpoint interval when `checkpointing` (sinks check their commit windows against it). */
  readonly checkpointIntervalMs?: number;
}

/**
 * One operator in a chain. Defaults: watermarks pass through, nothing to finish or close.
 * `input` is 0 for one-input operators and 0 or 1 for two-input ones.
 */
export interface StreamOperator {
  open(ctx: OperatorContext): void | Promise<void>;
  process(record: unknown, input: number): void;
  onWatermark(timestamp: number, input: number): void;
  /** One input as a whole became idle or active (two-input operators leave an idle input out of their watermark). */
  onInputStatus?(status: StreamStatusValue, input: number): void;
  /** A timer fired for `key` (keyed operators only). */
  onTimer?(timestamp: number, key: unknown, domain: TimeDomain): void;
  /** The whole chain is open and the subtask runs: an operator may now emit on its own (restored work resumes here). */
  start?(): void;
  /**
   * True while the operator takes no more input (a full buffer of pending work). The subtask asks
   * once per frame, not per record, stops feeding the chain while any operator is blocked, and
   * resumes when the operator calls `ctx.wakeInput()`; records of the frame being processed still arrive.
   */
  isBlocked?(): boolean;
  /** All input has ended: emit what is still held (a promise delays the end until it settles). */
  finish(): void | Promise<void>;
  /**
   * With checkpointing: the checkpoint of this operator's state after `finish()` (the final
   * checkpoint) completed, and its `notifyCheckpointComplete` has run. The subtask ends once this
   * settles; throwing fails it (a restore from that checkpoint follows).
   */
  finalCheckpointComplete?(): void | Promise<void>;
  close(): void | Promise<void>;
  /** The user function it wraps, if any: checkpointing calls its CheckpointedFunction and CheckpointListener hooks. */
  readonly userFunction?: unknown;
  /** At a barrier, before the state stores are captured: bring operator state up to date (synchronous). */
  snapshotState?(ctx: FunctionSnapshotContext): void;
  /** Checkpoint `checkpointId` completed everywhere (Flink's CheckpointListener). */
  notifyCheckpointComplete?(checkpointId: number): void;
  notifyCheckpointAborted?(checkpointId: number): void;
}

export abstract class BaseOperator implements StreamOperator {
  protected output!: Output;
  protected ctx!: OperatorContext;

  open(ctx: OperatorContext): void | Promise<void> {
    this.ctx = ctx;
    this.output = ctx.output;
  }

  abstract process(record: unknown, input: number): void;

  /** Runs an operator's own deferred work; an error fails the subtask instead of the process. */
  protected guarded(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.ctx.fail(error as Error);
    }
  }

  onWatermark(timestamp: number, _input: number): void {
    this.output.emitWatermark(timestamp);
  }

  finish(): void | Promise<void> {}

  close(): void | Promise<void> {}
}
