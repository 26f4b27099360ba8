// The user functions of a stream connected with a broadcast stream (Flink's broadcast state
// pattern): processElement sees the broadcast state read-only, processBroadcastElement may change
// it. Every subtask receives every broadcast element, so each keeps an equal copy of the state.

import type { Collector } from "./collector.ts";
import type { BroadcastState, ReadOnlyBroadcastState } from "./broadcast-state.ts";
import type { StateFor } from "./keyed-state.ts";
import type { MapStateDescriptor, StateDescriptor } from "./state-descriptors.ts";
import type { TimerService } from "./timer-service.ts";
import { AbstractRichFunction } from "./functions.ts";
import type { OutputTag } from "./output-tag.ts";
import type { KeyedRuntimeContext } from "./process-functions.ts";
import type { RuntimeContext } from "./collector.ts";

/** What both sides of a broadcast process function can do. */
export interface BroadcastBaseContext {
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
  /** The event-time timestamp of the current record, or undefined if it has none. */
  timestamp(): number | undefined;
  currentProcessingTime(): number;
  /** The operator's event time: the minimum watermark of both inputs (−∞ before both have one). */
  currentWatermark(): number;
}

/** The non-broadcast side: broadcast state is read-only (the subtasks' copies must stay equal). */
export interface BroadcastReadOnlyContext extends BroadcastBaseContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

/** The broadcast side: broadcast state is read-write. */
export interface BroadcastContext extends BroadcastBaseContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

/** The keyed side of a KeyedBroadcastProcessFunction: also the current key and its timers. */
export interface KeyedBroadcastReadOnlyContext<K> extends BroadcastReadOnlyContext {
  getCurrentKey(): K;
  timerService(): TimerService;
}

export interface KeyedBroadcastOnTimerContext<K> extends KeyedBroadcastReadOnlyContext<K> {
  timeDomain(): "processing-time" | "event-time";
}

/** The broadcast side of a KeyedBroadcastProcessFunction: no current key, but every key's state. */
export interface KeyedBroadcastContext<K> extends BroadcastContext {
  /** Runs `fn` for every key with state under `descriptor`, with that key's state (Flink's applyToKeyedState). */
  applyToKeyedState<D extends StateDescriptor>(descriptor: D, fn: (key: K, state: StateFor<D>) => void): void;
}

/**
 * Processes a non-keyed stream connected with a broadcast stream.
 * @example
 * class Tag extends BroadcastProcessFunction<Event, Rule, string> {
 *   processElement(e: Event, ctx: BroadcastReadOnlyContext, out: Collector<string>): void {
 *     const rule = ctx.getBroadcastState(rules).get(e.kind);
 *     if (rule) out.collect(`${e.id}: ${rule.label}`);
 *   }
 *   processBroadcastElement(rule: Rule, ctx: BroadcastContext): void {
 *     ctx.getBroadcastState(rules).put(rule.kind, rule);
 *   }
 * }
 * events.connect(ruleStream.broadcast(rules)).process(new Tag());
 */
export abstract class BroadcastProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction<RuntimeContext> {
  abstract processElement(value: IN1, ctx: BroadcastReadOnlyContext, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
}

/**
 * Processes a keyed stream connected with a broadcast stream: keyed state and timers on the keyed
 * side, and `applyToKeyedState` on the broadcast side to revisit every key's state.
 * @example
 * class Alerts extends KeyedBroadcastProcessFunction<string, Txn, Limit, string> {
 *   processElement(t: Txn, ctx: KeyedBroadcastReadOnlyContext<string>, out: Collector<string>): void {
 *     const limit = ctx.getBroadcastState(limits).get(t.country);
 *     if (limit !== undefined && t.amount > limit) out.collect(`${ctx.getCurrentKey()} over ${limit}`);
 *   }
 *   processBroadcastElement(l: Limit, ctx: KeyedBroadcastContext<string>): void {
 *     ctx.getBroadcastState(limits).put(l.country, l.amount);
 *   }
 * }
 * txns.keyBy((t) => t.account).connect(limitStream.broadcast(limits)).process(new Alerts());
 */
export abstract class KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction<KeyedRuntimeContext> {
  abstract processElement(value: IN1, ctx: KeyedBroadcastReadOnlyContext<K>, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext<K>, out: Collector<OUT>): void;
  /** A timer of the current key fired. */
  onTimer(_timestamp: number, _ctx: KeyedBroadcastOnTimerContext<K>, _out: Collector<OUT>): void {}
}
