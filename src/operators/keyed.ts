// Keyed one-input operators: KeyedProcessFunction and rolling aggregations (reduce, sum, min,
// max, minBy, maxBy). The key is computed once per record and set on the state backend.

import type { KeySelector, ReduceFunction } from "../core/functions.ts";
import { callable, closeFunction, openFunction } from "../core/functions.ts";
import type { OutputTag } from "../core/output-tag.ts";
import type { KeyedProcessFunction, KeyedRuntimeContext, OnTimerContext } from "../core/process-functions.ts";
import { ValueStateDescriptor, type KeyedStateBackend, type ValueState } from "../state/keyed-state-backend.ts";
import { BaseOperator, runtimeContextOf, type OperatorContext } from "./operator.ts";
import type { KeyedTimerService, TimeDomain } from "../state/timer-service.ts";

/** Base of operators on a keyed stream: sets the current key before each record. */
export abstract class KeyedOperator extends BaseOperator {
  protected state!: KeyedStateBackend;
  constructor(protected readonly keySelector: KeySelector<unknown, unknown>) {
    super();
  }
  override open(ctx: OperatorContext): void | Promise<void> {
    super.open(ctx);
    if (!ctx.keyedState) throw new Error("a keyed operator needs keyed state: it must follow keyBy()");
    this.state = ctx.keyedState;
  }
  process(record: unknown): void {
    this.state.setCurrentKey(this.keySelector(record));
    this.processKeyed(record);
  }
  protected abstract processKeyed(record: unknown): void;
  /** A timer fired for `key`. */
  onTimer(_timestamp: number, _key: unknown, _domain: TimeDomain): void {}

  /** Event time advances: due event-time timers fire (in order) before the watermark moves on. */
  override onWatermark(timestamp: number, _input: number): void {
    this.ctx.timers?.advanceWatermark(timestamp);
    this.output.emitWatermark(timestamp);
  }

  /** What a user function on this operator sees: where it runs, and the keyed state of the current key. */
  protected keyedRuntimeContext(): KeyedRuntimeContext {
    return runtimeContextOf(this.ctx);
  }
}


/**
 * The context a keyed process function sees: the current key, side outputs, timers, the record's
 * timestamp and the domain of the timer firing (shared by the one- and two-input keyed operators).
 */
export function keyedProcessContext<K>(ctx: OperatorContext, state: KeyedStateBackend, timers: KeyedTimerService, domain: () => TimeDomain): OnTimerContext<K> {
  const output = ctx.output;
  const current = ctx.timestamp;
  return {
    getCurrentKey: () => state.currentKey as K,
    output: <X>(tag: OutputTag<X>, value: X) => output.collectSide(tag.id, value),
    timerService: () => timers.forUser,
    timeDomain: domain,
    timestamp: () => current.value,
  };
}

export class KeyedProcessOperator<K, I, O> extends KeyedOperator {
  private context!: OnTimerContext<K>;
  private domain: "processing-time" | "event-time" = "processing-time";
  constructor(keySelector: KeySelector<unknown, unknown>, readonly userFunction: KeyedProcessFunction<K, I, O>) {
    super(keySelector);
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    const timers = ctx.timers;
    if (!timers) throw new Error("keyed process operator opened without a timer service");
    this.context = keyedProcessContext<K>(ctx, this.state, timers, () => this.domain);
    const runtime = this.keyedRuntimeContext();
    this.userFunction.setRuntimeContext(runtime);
    await this.userFunction.open(runtime);
  }
  protected processKeyed(record: unknown): void {
    this.userFunction.processElement(record as I, this.context, this.output);
  }
  override onTimer(timestamp: number, key: unknown, domain: TimeDomain): void {
    this.state.setCurrentKey(key);
    this.domain = domain;
    // Output of an event-time timer carries the timer's time; of a processing-time timer, none.
    this.ctx.timestamp.value = domain === "event-time" ? timestamp : undefined;
    this.userFunction.onTimer(timestamp, this.context, this.output);
  }
  override close(): void | Promise<void> {
    return this.userFunction.close();
  }
}

const ACCUMULATOR = new ValueStateDescriptor<unknown>("rolling-aggregate");

/** Flink's rolling reduce: emits the running result for the key after every record. */
export class KeyedReduceOperator<T> extends KeyedOperator {
  private accumulator!: ValueState<unknown>;
  private reduce!: (a: T, b: T) => T;
  constructor(keySelector: KeySelector<unknown, unknown>, readonly userFunction: ReduceFunction<T>) {
    super(keySelector);
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.accumulator = this.state.getState(ACCUMULATOR);
    this.reduce = callable(this.userFunction, "reduce");
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }
  protected processKeyed(record: unknown): void {
    const current = this.accumulator.value();
    const next = current === undefined ? record : this.reduce(current as T, record as T);
    this.accumulator.update(next);
    this.output.collect(next);
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export type AggregationKind = "sum" | "min" | "max" | "minBy" | "maxBy";
/** A field of a record: a property name, or an index into an array record. */
export type FieldRef = string | number;

/** Builds the reduce function behind sum/min/max/minBy/maxBy over one numeric field. */
export function aggregationReducer<T>(kind: AggregationKind, field: FieldRef): (a: T, b: T) => T {
  const read = (r: T): number => {
    const value = (r as Record<string | number, unknown>)[field];
    if (typeof value !== "number") throw new Error(`${kind}(${JSON.stringify(field)}): field is ${typeof value}, not a number`);
    return value;
  };
  const withField = (base: T, value: number): T => {
    if (Array.isArray(base)) {
      const copy = base.slice();
      copy[field as number] = value;
      return copy as T;
    }
    return { ...(base as object), [field]: value } as T;
  };
  switch (kind) {
    case "sum":
      return (a, b) => withField(a, read(a) + read(b));
    case "min":
      return (a, b) => (read(b) < read(a) ? withField(a, read(b)) : a);
    case "max":
      return (a, b) => (read(b) > read(a) ? withField(a, read(b)) : a);
    case "minBy":
      return (a, b) => (read(b) < read(a) ? b : a);
    case "maxBy":
      return (a, b) => (read(b) > read(a) ? b : a);
  }
}
