// ProcessJoinFunction: the user function of an interval join. Receives each matching (left, right)
// pair with both timestamps; emits through `out` (and side outputs through the context).

import type { Collector } from "../operators/operator.ts";
import { AbstractRichFunction, type RichFunction } from "../core/functions.ts";
import type { OutputTag } from "../core/output-tag.ts";

/** What a ProcessJoinFunction may ask about the pair it is given. */
export interface ProcessJoinContext {
  getLeftTimestamp(): number;
  getRightTimestamp(): number;
  /** The timestamp of the output: the larger of the two. */
  getTimestamp(): number;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Any object with `processElement(left, right, ctx, out)`, optionally with `open`/`close`. */
export type ProcessJoinFunctionLike<L, R, O> = RichFunction & {
  processElement(left: L, right: R, ctx: ProcessJoinContext, out: Collector<O>): void;
};

/** Subclass to reach `getRuntimeContext()` from `open()` on (Flink's ProcessJoinFunction). */
export abstract class ProcessJoinFunction<L, R, O> extends AbstractRichFunction {
  abstract processElement(left: L, right: R, ctx: ProcessJoinContext, out: Collector<O>): void;
}
