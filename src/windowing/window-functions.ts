// The functions a windowed stream runs when a window fires (Flink's): incremental AggregateFunction
// (reduce uses the ReduceFunction of the core API), ProcessWindowFunction with the full contents
// and window metadata/state, and the simpler WindowFunction (`apply`). Keyed and non-keyed forms.

import { AbstractRichFunction, type RichFunction } from "../core/functions.ts";
import type { OutputTag } from "../core/output-tag.ts";
import type { KeyedRuntimeContext } from "../core/process-functions.ts";
import type { Collector, RuntimeContext } from "../operators/operator.ts";
import type { KeyedStateStore } from "../core/keyed-state.ts";
import type { Window } from "./windows.ts";

// One definition of each, shared with the state API: an aggregate function (also used by
// AggregatingState) and the store of keyed state handles.
export type { AggregateFunction } from "../core/state-descriptors.ts";
export type { KeyedStateStore } from "../core/keyed-state.ts";

/** What a ProcessAllWindowFunction sees while a window fires. */
export interface ProcessAllWindowContext<W extends Window> {
  /** The window being evaluated. */
  window(): W;
  currentProcessingTime(): number;
  /** The operator's event time: its last watermark (−∞ before the first). */
  currentWatermark(): number;
  /** State of this window only (kept across late firings, dropped when the window is cleaned up). Not for merging windows. */
  windowState(): KeyedStateStore;
  /** State of the key across all its windows (the keyed state of the operator). */
  globalState(): KeyedStateStore;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** What a ProcessWindowFunction sees: the same, for the key being evaluated. */
export type ProcessWindowContext<W extends Window> = ProcessAllWindowContext<W>;

/**
 * Evaluates a fired window of one key with all its elements (or, combined with reduce/aggregate,
 * with the one pre-aggregated value), its window metadata and per-window and per-key state.
 * @example
 * class CountPerWindow extends ProcessWindowFunction<Click, string, string, TimeWindow> {
 *   process(user: string, ctx: ProcessWindowContext<TimeWindow>, clicks: readonly Click[], out: Collector<string>): void {
 *     out.collect(`${user} ${ctx.window().start}..${ctx.window().end}: ${clicks.length}`);
 *   }
 * }
 */
export abstract class ProcessWindowFunction<IN, OUT, KEY, W extends Window> extends AbstractRichFunction<KeyedRuntimeContext> {
  abstract process(key: KEY, context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void;
  /** The window is being removed (watermark past its end + allowed lateness): clean up what `process` kept. */
  clear(_context: ProcessWindowContext<W>): void {}
}

/** The non-keyed form, for windowAll. */
export abstract class ProcessAllWindowFunction<IN, OUT, W extends Window> extends AbstractRichFunction<RuntimeContext> {
  abstract process(context: ProcessAllWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void;
  clear(_context: ProcessAllWindowContext<W>): void {}
}

/** A process window function given as a plain function. */
export type ProcessWindowFunctionLike<IN, OUT, KEY, W extends Window> =
  | ProcessWindowFunction<IN, OUT, KEY, W>
  | ((key: KEY, context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>) => void);

export type ProcessAllWindowFunctionLike<IN, OUT, W extends Window> =
  | ProcessAllWindowFunction<IN, OUT, W>
  | ((context: ProcessAllWindowContext<W>, elements: readonly IN[], out: Collector<OUT>) => void);

/** Flink's WindowFunction (`apply`): key, window and contents, no context. */
export type WindowFunction<IN, OUT, KEY, W extends Window> =
  | ((key: KEY, window: W, input: readonly IN[], out: Collector<OUT>) => void)
  | (RichFunction & { apply(key: KEY, window: W, input: readonly IN[], out: Collector<OUT>): void });

export type AllWindowFunction<IN, OUT, W extends Window> =
  | ((window: W, input: readonly IN[], out: Collector<OUT>) => void)
  | (RichFunction & { apply(window: W, input: readonly IN[], out: Collector<OUT>): void });
