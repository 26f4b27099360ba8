// The user-facing function types of the DataStream API. Each may be a plain function or an
// object with the method (a "rich" function, with open/close and a runtime context).

import type { Collector, RuntimeContext } from "./collector.ts";
import type { KeyedRuntimeContext } from "./process-functions.ts";

/** Lifecycle hooks any function object may have (Flink's RichFunction). */
export interface RichFunction {
  open?(ctx: RuntimeContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

export type MapFunction<I, O> = ((value: I) => O) | (RichFunction & { map(value: I): O });
export type FlatMapFunction<I, O> = ((value: I, out: Collector<O>) => void) | (RichFunction & { flatMap(value: I, out: Collector<O>): void });
export type FilterFunction<I> = ((value: I) => boolean) | (RichFunction & { filter(value: I): boolean });
export type ReduceFunction<T> = ((a: T, b: T) => T) | (RichFunction & { reduce(a: T, b: T): T });
export type KeySelector<T, K> = (value: T) => K;
export type SinkFunction<T> = ((value: T) => void) | (RichFunction & { invoke(value: T): void });

export interface CoMapFunction<I1, I2, O> extends RichFunction {
  map1(value: I1): O;
  map2(value: I2): O;
}

export interface CoFlatMapFunction<I1, I2, O> extends RichFunction {
  flatMap1(value: I1, out: Collector<O>): void;
  flatMap2(value: I2, out: Collector<O>): void;
}

/**
 * Base of Flink-style rich functions: subclass one of the Rich*Function classes to keep fields
 * per subtask and reach `getRuntimeContext()` from `open()` on.
 */
export abstract class AbstractRichFunction<C extends RuntimeContext = RuntimeContext> implements RichFunction {
  private runtimeContext?: C;

  /** @internal Set by the operator before `open`. */
  setRuntimeContext(ctx: C): void {
    this.runtimeContext = ctx;
  }

  getRuntimeContext(): C {
    if (!this.runtimeContext) throw new Error("the runtime context is available from open() on, not in the constructor");
    return this.runtimeContext;
  }

  open(_ctx: C): void | Promise<void> {}
  close(): void | Promise<void> {}
}

// Map, flatMap and filter may run on a keyed stream, where their runtime context reaches keyed
// state (as in Flink); on other streams its state getters throw.
export abstract class RichMapFunction<I, O> extends AbstractRichFunction<KeyedRuntimeContext> {
  abstract map(value: I): O;
}
export abstract class RichFlatMapFunction<I, O> extends AbstractRichFunction<KeyedRuntimeContext> {
  abstract flatMap(value: I, out: Collector<O>): void;
}
export abstract class RichFilterFunction<I> extends AbstractRichFunction<KeyedRuntimeContext> {
  abstract filter(value: I): boolean;
}
export abstract class RichReduceFunction<T> extends AbstractRichFunction {
  abstract reduce(a: T, b: T): T;
}
export abstract class RichSinkFunction<T> extends AbstractRichFunction {
  abstract invoke(value: T): void;
}

/** Hands a function object its runtime context (if it takes one) and calls its `open`. */
export async function openFunction(fn: unknown, ctx: RuntimeContext): Promise<void> {
  if (typeof fn !== "object" || fn === null) return;
  if (fn instanceof AbstractRichFunction) fn.setRuntimeContext(ctx);
  if (typeof (fn as RichFunction).open === "function") await (fn as RichFunction).open!(ctx);
}

export async function closeFunction(fn: unknown): Promise<void> {
  if (typeof fn === "object" && fn !== null && typeof (fn as RichFunction).close === "function") await (fn as RichFunction).close!();
}

/** Turns a function-or-object into a plain callable once, at open time (not per record). */
export function callable<A extends unknown[], R>(fn: ((...args: A) => R) | object, method: string): (...args: A) => R {
  if (typeof fn === "function") return fn as (...args: A) => R;
  const m = (fn as Record<string, unknown>)[method];
  if (typeof m !== "function") throw new Error(`function object has no ${method}() method`);
  return (m as (...args: A) => R).bind(fn);
}

/**
 * The function of an async I/O operator (AsyncDataStream): starts a request for one record and
 * resolves with its result, or with an array of results (zero or more records). A function whose
 * one result is itself an array returns it wrapped: `[[a, b]]`.
 */
export type AsyncFunction<I, O> = ((value: I) => PromiseLike<O | readonly O[]>) | (RichFunction & { asyncInvoke(value: I): PromiseLike<O | readonly O[]> });

/** Chooses the partition of a key among `numPartitions` (Flink's Partitioner, for partitionCustom). */
export type CustomPartitioner<K = unknown> = (key: K, numPartitions: number) => number;
