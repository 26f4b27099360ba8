// Opens one operator by hand, outside any cluster: keyed state and timers on a simulated clock,
// and an output that records everything emitted (records with their timestamps, side outputs,
// watermarks) in order. Test harnesses drive operators as traces with it.

import { InProcessBus } from "../bus/in-process-bus.ts";
import type { Bus } from "../bus/bus.ts";
import { silentLogger, type Logger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { CurrentTimestamp, type OperatorContext, type StreamOperator } from "../operators/operator.ts";
import { SimulatedClock } from "../core/clock.ts";
import { HeapKeyedStateBackend } from "../state/heap-keyed-state-backend.ts";
import type { KeyedStateBackend } from "../state/keyed-state-backend.ts";
import { KeyedTimerService } from "../state/timer-service.ts";
import { HeapOperatorStateStore } from "../state/operator-state.ts";

/** What an operator emitted, in order. */
export type EmittedElement =
  | { kind: "record"; value: unknown; timestamp: number | undefined }
  | { kind: "side"; tag: string; value: unknown; timestamp: number | undefined }
  | { kind: "watermark"; timestamp: number };

export interface OperatorTestContext {
  ctx: OperatorContext;
  emitted: EmittedElement[];
  timestamp: CurrentTimestamp;
  clock: SimulatedClock;
  state: KeyedStateBackend;
  timers: KeyedTimerService;
  metrics: MetricRegistry;
}

export interface OperatorTestOptions {
  taskName?: string;
  /** Start of the simulated clock (ms). */
  start?: number;
  /** Where emitted elements go (default: a new array). */
  emitted?: EmittedElement[];
  timestamp?: CurrentTimestamp;
  /** Record side outputs too (default true). */
  recordSideOutputs?: boolean;
  bus?: Bus;
  log?: Logger;
  /** Called when the operator wakes its input (`ctx.wakeInput()`). */
  wakeInput?: () => void;
}

/**
 * Builds the context for `operator`; open it with `await operator.open(ctx)`. Timers call the
 * operator's `onTimer`; an error reported through `ctx.fail` is thrown.
 * @example
 * const { ctx, emitted } = operatorTestContext(operator);
 * await operator.open(ctx);
 * operator.process(record, 0);
 */
export function operatorTestContext(operator: StreamOperator, options: OperatorTestOptions = {}): OperatorTestContext {
  const emitted = options.emitted ?? [];
  const timestamp = options.timestamp ?? new CurrentTimestamp();
  const clock = new SimulatedClock(options.start ?? 0);
  const state = new HeapKeyedStateBackend({ clock });
  const metrics = new MetricRegistry();
  const timers = new KeyedTimerService(clock, () => state.currentKey, (ts, key, domain) => operator.onTimer?.(ts, key, domain));
  const recordSide = options.recordSideOutputs ?? true;
  const ctx: OperatorContext = {
    jobId: "job",
    taskName: options.taskName ?? "task",
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    attempt: 0,
    output: {
      collect: (value) => emitted.push({ kind: "record", value, timestamp: timestamp.value }),
      collectSide: (tag, value) => {
        if (recordSide) emitted.push({ kind: "side", tag, value, timestamp: timestamp.value });
      },
      emitWatermark: (ts) => emitted.push({ kind: "watermark", timestamp: ts }),
    },
    timestamp,
    streamStatus: { markIdle: () => undefined, markActive: () => undefined, isIdle: () => false },
    fail: (error) => {
      throw error;
    },
    wakeInput: options.wakeInput ?? (() => undefined),
    clock,
    log: options.log ?? silentLogger(),
    metrics,
    bus: options.bus ?? new InProcessBus(),
    keyedState: state,
    timers,
    operatorState: new HeapOperatorStateStore(),
    checkpointing: false,
  };
  return { ctx, emitted, timestamp, clock, state, timers, metrics };
}
