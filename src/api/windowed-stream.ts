// The windowed-stream API (Flink's WindowedStream and AllWindowedStream): `keyBy(...).window(...)`
// or `windowAll(...)`, then optional trigger / evictor / allowedLateness / sideOutputLateData, then
// the window function. Nothing runs here: the function adds one window operator to the graph.

import type { SingleOutputStreamOperator } from "./data-stream.ts";
import type { KeySelector, ReduceFunction } from "../core/functions.ts";
import { subtaskCopies } from "./subtask-copies.ts";
import type { OutputTag } from "../core/output-tag.ts";
import { aggregationReducer, type AggregationKind, type FieldRef } from "../operators/keyed.ts";
import type { StreamOperator } from "../operators/operator.ts";
import { GlobalWindows, isMergingWindowAssigner, type WindowAssigner } from "../windowing/assigners.ts";
import { CountEvictor, type Evictor } from "../windowing/evictors.ts";
import {
  aggregating,
  allApply,
  allProcess,
  collecting,
  keyedApply,
  keyedProcess,
  passThrough,
  reducing,
  type InternalWindowFunction,
  type PaneAggregation,
} from "../windowing/internal-window-functions.ts";
import type { Trigger } from "../windowing/trigger.ts";
import { CountTrigger, PurgingTrigger } from "../windowing/triggers.ts";
import type { AggregateFunction, AllWindowFunction, ProcessAllWindowFunctionLike, ProcessWindowFunctionLike, WindowFunction } from "../windowing/window-functions.ts";
import { WindowOperator, type WindowOperatorSpec } from "../windowing/window-operator.ts";
import { FixedWindowOperator, fixedWindowsOf } from "../windowing/fixed-window-operator.ts";
import type { GlobalWindow, Window } from "../windowing/windows.ts";

/** Adds the window operator to the graph after the (keyed) input; given by the stream that was windowed. */
export type WindowTransform = <O>(name: string, createOperator: () => StreamOperator) => SingleOutputStreamOperator<O>;

/** The user functions of one window operator, built per subtask. */
interface WindowFunctions {
  name: string;
  create(): { aggregation: PaneAggregation<unknown, unknown, unknown>; windowFunction: InternalWindowFunction<unknown> };
}

/** What keyed and non-keyed windowed streams share: the builder settings and the operator they add. */
abstract class WindowedStreamBuilder<T, W extends Window> {
  private customTrigger?: Trigger<T, W>;
  private customEvictor?: Evictor<T, W>;
  private lateness = 0;
  private lateDataTag?: OutputTag<T>;

  /** @internal */
  constructor(
    protected readonly assigner: WindowAssigner<T, W>,
    private readonly keySelector: KeySelector<unknown, unknown>,
    private readonly addOperator: WindowTransform,
  ) {}

  /** Replaces the assigner's default trigger. Session windows need a trigger that can merge. */
  trigger(trigger: Trigger<T, W>): this {
    if (isMergingWindowAssigner(this.assigner) && !trigger.canMerge()) {
      throw new Error(`${this.assigner.toString()} merges windows; ${trigger.toString()} does not support merging`);
    }
    this.customTrigger = trigger;
    return this;
  }

  /** Removes elements from a firing window before and/or after the window function (functions then see all elements). */
  evictor(evictor: Evictor<T, W>): this {
    this.customEvictor = evictor;
    return this;
  }

  /** Event time: keeps windows `ms` past their end; late elements in that time fire them again with updated results. */
  allowedLateness(ms: number): this {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`allowedLateness(${ms}): the lateness must be a finite number of ms >= 0`);
    this.lateness = ms;
    return this;
  }

  /** Elements too late for every window they belong to go to this side output (instead of being dropped). */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateDataTag = tag;
    return this;
  }

  protected build<O>(functions: WindowFunctions): SingleOutputStreamOperator<O> {
    const { assigner, keySelector, lateness } = this;
    const trigger = (this.customTrigger ?? assigner.getDefaultTrigger()) as Trigger<unknown, Window>;
    const evictor = this.customEvictor as Evictor<unknown, Window> | undefined;
    const lateDataTag = this.lateDataTag?.id;
    const description = [assigner.toString(), trigger.toString(), ...(evictor ? [evictor.constructor.name] : []), functions.name].join(", ");
    const triggers = subtaskCopies(trigger, "trigger()");
    const evictors = subtaskCopies(evictor, "evictor()");
    const createOperator = () => {
      const spec: WindowOperatorSpec = {
        assigner: assigner as WindowAssigner<unknown, Window>,
        trigger: triggers(),
        evictor: evictors(),
        allowedLateness: lateness,
        lateDataTag,
        ...functions.create(),
      };
      // Tumbling and sliding event-time windows with the default trigger keep only accumulators by window start.
      return fixedWindowsOf(spec) === undefined ? new WindowOperator(keySelector, spec) : new FixedWindowOperator(keySelector, spec);
    };
    // Checked now, not when the job starts: a merging assigner with a trigger that cannot merge.
    createOperator();
    return this.addOperator<O>(`Window(${description})`, createOperator);
  }

  /** The functions of `reduce`, `aggregate` and the element-collecting `process`/`apply`. */
  protected reduceFunctions(fn: ReduceFunction<T>, name: string, windowFunction?: () => InternalWindowFunction<unknown>): WindowFunctions {
    const copies = subtaskCopies(fn, "reduce()");
    return {
      name,
      create: () => ({ aggregation: reducing(copies()) as PaneAggregation<unknown, unknown, unknown>, windowFunction: windowFunction?.() ?? passThrough() }),
    };
  }

  protected aggregateFunctions<ACC, R>(fn: AggregateFunction<T, ACC, R>, name: string, windowFunction?: () => InternalWindowFunction<unknown>): WindowFunctions {
    const copies = subtaskCopies(fn, "aggregate()");
    return {
      name,
      create: () => ({ aggregation: aggregating(copies()) as PaneAggregation<unknown, unknown, unknown>, windowFunction: windowFunction?.() ?? passThrough() }),
    };
  }

  protected collectingFunctions(name: string, windowFunction: () => InternalWindowFunction<unknown>): WindowFunctions {
    return { name, create: () => ({ aggregation: collecting<unknown>() as PaneAggregation<unknown, unknown, unknown>, windowFunction: windowFunction() }) };
  }

  /** sum/min/max/minBy/maxBy over one numeric field, as a window reduce. */
  /** Per window, the sum of a numeric field (by name, or index of an array record). */
  sum(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.fieldAggregate("sum", field);
  }
  /** Keeps the first record's other fields and the minimum of `field`. */
  min(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.fieldAggregate("min", field);
  }
  max(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.fieldAggregate("max", field);
  }
  /** The whole record with the minimum `field` (the first one on ties). */
  minBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.fieldAggregate("minBy", field);
  }
  maxBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.fieldAggregate("maxBy", field);
  }

  protected fieldAggregate(kind: AggregationKind, field: FieldRef): SingleOutputStreamOperator<T> {
    return this.build<T>(this.reduceFunctions(aggregationReducer<T>(kind, field), `${kind}(${String(field)})`));
  }
}

/**
 * A keyed stream cut into windows: per key and window, a function runs when the trigger fires.
 * @example
 * bids.keyBy((b) => b.auction)
 *   .window(TumblingEventTimeWindows.of(10_000))
 *   .allowedLateness(5_000)
 *   .aggregate(countBids, new TopAuction());
 */
export class WindowedStream<T, K, W extends Window> extends WindowedStreamBuilder<T, W> {
  /** Incremental: one reduced value per window and firing. With a process function, it receives that value. */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<O>(fn: ReduceFunction<T>, processFunction: ProcessWindowFunctionLike<T, O, K, W>): SingleOutputStreamOperator<O>;
  reduce<O>(fn: ReduceFunction<T>, processFunction?: ProcessWindowFunctionLike<T, O, K, W>): SingleOutputStreamOperator<T> | SingleOutputStreamOperator<O> {
    if (processFunction === undefined) return this.build<T>(this.reduceFunctions(fn, "reduce"));
    const copies = subtaskCopies(processFunction, "reduce() window function");
    return this.build<O>(this.reduceFunctions(fn, "reduce+process", () => keyedProcess(copies(), true)));
  }

  /** Incremental with an accumulator. With a process function, it receives the aggregate's result. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R>;
  aggregate<ACC, R, O>(fn: AggregateFunction<T, ACC, R>, processFunction: ProcessWindowFunctionLike<R, O, K, W>): SingleOutputStreamOperator<O>;
  aggregate<ACC, R, O>(fn: AggregateFunction<T, ACC, R>, processFunction?: ProcessWindowFunctionLike<R, O, K, W>): SingleOutputStreamOperator<R> | SingleOutputStreamOperator<O> {
    if (processFunction === undefined) return this.build<R>(this.aggregateFunctions(fn, "aggregate"));
    const copies = subtaskCopies(processFunction, "aggregate() window function");
    return this.build<O>(this.aggregateFunctions(fn, "aggregate+process", () => keyedProcess(copies(), true)));
  }

  /** The whole window at once: every element, the window, and per-window and per-key state. */
  process<O>(fn: ProcessWindowFunctionLike<T, O, K, W>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "process()");
    return this.build<O>(this.collectingFunctions("process", () => keyedProcess(copies(), false)));
  }

  /** Flink's WindowFunction: key, window and elements. */
  apply<O>(fn: WindowFunction<T, O, K, W>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "apply()");
    return this.build<O>(this.collectingFunctions("apply", () => keyedApply(copies(), false)));
  }

}

/**
 * A whole (non-keyed) stream cut into windows; runs with parallelism 1.
 * @example
 * events.windowAll(TumblingEventTimeWindows.of(60_000)).aggregate(countAll);
 */
export class AllWindowedStream<T, W extends Window> extends WindowedStreamBuilder<T, W> {
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<O>(fn: ReduceFunction<T>, processFunction: ProcessAllWindowFunctionLike<T, O, W>): SingleOutputStreamOperator<O>;
  reduce<O>(fn: ReduceFunction<T>, processFunction?: ProcessAllWindowFunctionLike<T, O, W>): SingleOutputStreamOperator<T> | SingleOutputStreamOperator<O> {
    if (processFunction === undefined) return this.build<T>(this.reduceFunctions(fn, "reduce"));
    const copies = subtaskCopies(processFunction, "reduce() window function");
    return this.build<O>(this.reduceFunctions(fn, "reduce+process", () => allProcess(copies(), true)));
  }

  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R>;
  aggregate<ACC, R, O>(fn: AggregateFunction<T, ACC, R>, processFunction: ProcessAllWindowFunctionLike<R, O, W>): SingleOutputStreamOperator<O>;
  aggregate<ACC, R, O>(fn: AggregateFunction<T, ACC, R>, processFunction?: ProcessAllWindowFunctionLike<R, O, W>): SingleOutputStreamOperator<R> | SingleOutputStreamOperator<O> {
    if (processFunction === undefined) return this.build<R>(this.aggregateFunctions(fn, "aggregate"));
    const copies = subtaskCopies(processFunction, "aggregate() window function");
    return this.build<O>(this.aggregateFunctions(fn, "aggregate+process", () => allProcess(copies(), true)));
  }

  process<O>(fn: ProcessAllWindowFunctionLike<T, O, W>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "process()");
    return this.build<O>(this.collectingFunctions("process", () => allProcess(copies(), false)));
  }

  apply<O>(fn: AllWindowFunction<T, O, W>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "apply()");
    return this.build<O>(this.collectingFunctions("apply", () => allApply(copies(), false)));
  }

}

/** A windowed stream over global windows, as count windows configure it. */
interface CountWindowable<S> {
  trigger(trigger: Trigger<unknown, GlobalWindow>): S;
  evictor(evictor: Evictor<unknown, GlobalWindow>): S;
}

/**
 * Flink's count windows on global windows: tumbling (`size` elements, then purge) or sliding
 * (fire every `slide` elements over the last `size`).
 */
export function countWindowSettings<S extends CountWindowable<S>>(stream: S, size: number, slide?: number): S {
  if (slide === undefined) return stream.trigger(PurgingTrigger.of(CountTrigger.of(size)));
  return stream.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
}

/** Windows of a keyed stream (called by KeyedStream.window). */
export function keyedWindows<T, K, W extends Window>(assigner: WindowAssigner<T, W>, keySelector: KeySelector<T, K>, addOperator: WindowTransform): WindowedStream<T, K, W> {
  return new WindowedStream<T, K, W>(assigner, keySelector as KeySelector<unknown, unknown>, addOperator);
}

/** The key of every record of a non-keyed window operator: one key, one subtask (Flink's NullByteKeySelector). */
export const ALL_WINDOWS_KEY: KeySelector<unknown, unknown> = () => 0;

/** Windows of a whole stream (called by DataStream.windowAll; `addOperator` runs the operator at parallelism 1). */
export function allWindows<T, W extends Window>(assigner: WindowAssigner<T, W>, addOperator: WindowTransform): AllWindowedStream<T, W> {
  return new AllWindowedStream<T, W>(assigner, ALL_WINDOWS_KEY, addOperator);
}

/** For count windows: the global window assigner, typed for the stream. */
export function globalWindowsFor<T>(): WindowAssigner<T, GlobalWindow> {
  return GlobalWindows.create();
}
