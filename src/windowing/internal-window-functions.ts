// How the window operator runs user functions, in two steps (Flink's window state kinds and
// InternalWindowFunction): a PaneAggregation keeps a window's contents (a reduced value, an
// accumulator, or the elements), and an InternalWindowFunction turns a fired window's result
// into output (as it is, or through a process/apply function). Built once per subtask.

import { callable, closeFunction, openFunction, type ReduceFunction } from "../core/functions.ts";
import type { KeyedRuntimeContext } from "../core/process-functions.ts";
import type { Collector } from "../operators/operator.ts";
import type {
  AggregateFunction,
  AllWindowFunction,
  ProcessAllWindowFunctionLike,
  ProcessWindowContext,
  ProcessWindowFunctionLike,
  WindowFunction,
} from "./window-functions.ts";
import type { Window } from "./windows.ts";

/** How a window's contents accumulate, and what a firing hands on. `acc` is undefined for an empty window. */
export interface PaneAggregation<I, ACC, R> {
  add(acc: ACC | undefined, value: I): ACC;
  merge(a: ACC, b: ACC): ACC;
  result(acc: ACC): R;
  /** What a window emptied by an evictor hands on; undefined: nothing is emitted. */
  emptyResult(): { value: R } | undefined;
  open(ctx: KeyedRuntimeContext): Promise<void>;
  close(): Promise<void>;
}

export function reducing<T>(fn: ReduceFunction<T>): PaneAggregation<T, T, T> {
  let reduce: (a: T, b: T) => T = () => {
    throw new Error("the reduce function was used before open()");
  };
  return {
    add: (acc, value) => (acc === undefined ? value : reduce(acc, value)),
    merge: (a, b) => reduce(a, b),
    result: (acc) => acc,
    emptyResult: () => undefined,
    open: async (ctx) => {
      reduce = callable(fn, "reduce");
      await openFunction(fn, ctx);
    },
    close: () => closeFunction(fn),
  };
}

export function aggregating<I, A, O>(fn: AggregateFunction<I, A, O>): PaneAggregation<I, A, O> {
  return {
    add: (acc, value) => fn.add(value, acc === undefined ? fn.createAccumulator() : acc),
    merge: (a, b) => fn.merge(a, b),
    result: (acc) => fn.getResult(acc),
    // As Flink: an aggregate over no elements is the result of a fresh accumulator.
    emptyResult: () => ({ value: fn.getResult(fn.createAccumulator()) }),
    open: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** Keeps every element (for process/apply without pre-aggregation). */
export function collecting<T>(): PaneAggregation<T, T[], T[]> {
  return {
    add: (acc, value) => {
      if (acc === undefined) return [value];
      acc.push(value);
      return acc;
    },
    merge: (a, b) => a.concat(b),
    result: (acc) => acc,
    emptyResult: () => ({ value: [] }),
    open: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** Turns a fired window's result into output. */
export interface InternalWindowFunction<R> {
  process(key: unknown, context: ProcessWindowContext<Window>, result: R, out: Collector<unknown>): void;
  /** The window is being cleaned up. */
  clear(context: ProcessWindowContext<Window>): void;
  open(ctx: KeyedRuntimeContext): Promise<void>;
  close(): Promise<void>;
}

/** Emits the result itself (reduce or aggregate alone). */
export function passThrough<R>(): InternalWindowFunction<R> {
  return {
    process: (_key, _ctx, result, out) => out.collect(result),
    clear: () => undefined,
    open: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

type ElementsCall = (key: unknown, context: ProcessWindowContext<Window>, elements: readonly unknown[], out: Collector<unknown>) => void;

/** Adapts a user function called with the window's elements; `single` wraps a pre-aggregated result in a one-element list. */
function elementsFunction(call: ElementsCall, single: boolean, userObject: unknown, clear?: (ctx: ProcessWindowContext<Window>) => void): InternalWindowFunction<unknown> {
  return {
    process: (key, ctx, result, out) => call(key, ctx, single ? [result] : (result as readonly unknown[]), out),
    clear: (ctx) => clear?.(ctx),
    open: (ctx) => openFunction(userObject, ctx),
    close: () => closeFunction(userObject),
  };
}

export function keyedProcess<IN, OUT, KEY, W extends Window>(fn: ProcessWindowFunctionLike<IN, OUT, KEY, W>, single: boolean): InternalWindowFunction<unknown> {
  if (typeof fn === "function") return elementsFunction((key, ctx, elements, out) => fn(key as KEY, ctx as ProcessWindowContext<W>, elements as IN[], out as Collector<OUT>), single, fn);
  return elementsFunction(
    (key, ctx, elements, out) => fn.process(key as KEY, ctx as ProcessWindowContext<W>, elements as IN[], out as Collector<OUT>),
    single,
    fn,
    (ctx) => fn.clear(ctx as ProcessWindowContext<W>),
  );
}

export function allProcess<IN, OUT, W extends Window>(fn: ProcessAllWindowFunctionLike<IN, OUT, W>, single: boolean): InternalWindowFunction<unknown> {
  if (typeof fn === "function") return elementsFunction((_key, ctx, elements, out) => fn(ctx as ProcessWindowContext<W>, elements as IN[], out as Collector<OUT>), single, fn);
  return elementsFunction(
    (_key, ctx, elements, out) => fn.process(ctx as ProcessWindowContext<W>, elements as IN[], out as Collector<OUT>),
    single,
    fn,
    (ctx) => fn.clear(ctx as ProcessWindowContext<W>),
  );
}

export function keyedApply<IN, OUT, KEY, W extends Window>(fn: WindowFunction<IN, OUT, KEY, W>, single: boolean): InternalWindowFunction<unknown> {
  const apply = callable<[KEY, W, readonly IN[], Collector<OUT>], void>(fn, "apply");
  return elementsFunction((key, ctx, elements, out) => apply(key as KEY, ctx.window() as W, elements as IN[], out as Collector<OUT>), single, fn);
}

export function allApply<IN, OUT, W extends Window>(fn: AllWindowFunction<IN, OUT, W>, single: boolean): InternalWindowFunction<unknown> {
  const apply = callable<[W, readonly IN[], Collector<OUT>], void>(fn, "apply");
  return elementsFunction((_key, ctx, elements, out) => apply(ctx.window() as W, elements as IN[], out as Collector<OUT>), single, fn);
}
