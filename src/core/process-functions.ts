// Process functions: the lowest-level user functions, with side outputs, timers and (keyed) state.
// Subclass them as in Flink; `getRuntimeContext()` works from `open()` on.

import type { Collector, RuntimeContext } from "./collector.ts";
import { AbstractRichFunction } from "./functions.ts";
import type { KeyedStateStore } from "./keyed-state.ts";
import type { TimerService } from "./timer-service.ts";
import type { OutputTag } from "./output-tag.ts";

/**
 * The runtime context of a function on a keyed stream: it can reach keyed state (value, list,
 * reducing, aggregating and map state) of the key being processed.
 */
export interface KeyedRuntimeContext extends RuntimeContext, KeyedStateStore {}

export interface ProcessContext {
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
  timerService(): TimerService;
  /** The event-time timestamp of the current record, or undefined if it has none. */
  timestamp(): number | undefined;
}

export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K;
}

export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  timeDomain(): "processing-time" | "event-time";
}

export abstract class ProcessFunction<I, O> extends AbstractRichFunction<RuntimeContext> {
  abstract processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
}

export abstract class KeyedProcessFunction<K, I, O> extends AbstractRichFunction<KeyedRuntimeContext> {
  abstract processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<O>): void {}
}

export abstract class CoProcessFunction<I1, I2, O> extends AbstractRichFunction<RuntimeContext> {
  abstract processElement1(value: I1, ctx: ProcessContext, out: Collector<O>): void;
  abstract processElement2(value: I2, ctx: ProcessContext, out: Collector<O>): void;
}
