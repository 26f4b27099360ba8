// The interval join API: `a.keyBy(k).intervalJoin(b.keyBy(k)).between(lower, upper).process(fn)`.
// Receives two keyed streams and the bounds; adds one keyed two-input IntervalJoin operator and
// returns its output stream.

import type { KeyedStream, SingleOutputStreamOperator } from "./data-stream.ts";
import type { KeySelector } from "../core/functions.ts";
import { subtaskCopies } from "./subtask-copies.ts";
import type { OutputTag } from "../core/output-tag.ts";
import { IntervalJoinOperator } from "../joins/interval-join-operator.ts";
import type { ProcessJoinFunctionLike } from "../joins/process-join-function.ts";

/** Two keyed streams about to be joined on an interval of event time (Flink's KeyedStream.IntervalJoin). */
export class IntervalJoin<L, R, K> {
  /** @internal Use `KeyedStream.intervalJoin`. */
  constructor(private readonly left: KeyedStream<L, K>, private readonly right: KeyedStream<R, K>) {}

  /**
   * Joins a left record at time t with the right records whose time lies in [t + lowerMs, t + upperMs].
   * Bounds are integer milliseconds and may be negative; lowerMs ≤ upperMs.
   * @example
   * clicks.keyBy((c) => c.user)
   *   .intervalJoin(views.keyBy((v) => v.user))
   *   .between(-5_000, 0) // views up to 5 s before the click
   *   .process({ processElement: (click, view, _ctx, out) => out.collect({ click, view }) });
   */
  between(lowerMs: number, upperMs: number): IntervalJoined<L, R, K> {
    if (!Number.isSafeInteger(lowerMs) || !Number.isSafeInteger(upperMs)) throw new Error(`between(${lowerMs}, ${upperMs}): bounds must be integer milliseconds`);
    if (lowerMs > upperMs) throw new Error(`between(${lowerMs}, ${upperMs}): the lower bound must not be above the upper bound`);
    return new IntervalJoined<L, R, K>(this.left, this.right, lowerMs, upperMs);
  }
}

/** An interval join with its bounds; `process` adds the operator (Flink's IntervalJoined). */
export class IntervalJoined<L, R, K> {
  private lowerInclusive = true;
  private upperInclusive = true;
  private leftLateTag?: string;
  private rightLateTag?: string;

  /** @internal */
  constructor(
    private readonly left: KeyedStream<L, K>,
    private readonly right: KeyedStream<R, K>,
    private readonly lowerMs: number,
    private readonly upperMs: number,
  ) {}

  /** Right records at exactly t + lowerMs do not match. */
  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }

  /** Right records at exactly t + upperMs do not match. */
  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }

  /** Left records that arrive behind the watermark go to this side output instead of being dropped. */
  sideOutputLeftLateData(tag: OutputTag<L>): this {
    this.leftLateTag = tag.id;
    return this;
  }

  /** Right records that arrive behind the watermark go to this side output instead of being dropped. */
  sideOutputRightLateData(tag: OutputTag<R>): this {
    this.rightLateTag = tag.id;
    return this;
  }

  /** Calls `fn.processElement(left, right, ctx, out)` for every matching pair; output carries the larger timestamp. */
  process<O>(fn: ProcessJoinFunctionLike<L, R, O>): SingleOutputStreamOperator<O> {
    const lowerBound = this.lowerInclusive ? this.lowerMs : this.lowerMs + 1;
    const upperBound = this.upperInclusive ? this.upperMs : this.upperMs - 1;
    if (lowerBound > upperBound) {
      throw new Error(`between(${this.lowerMs}, ${this.upperMs}) with exclusive bounds leaves no interval: nothing could ever match`);
    }
    const spec = { lowerBound, upperBound, leftLateTag: this.leftLateTag, rightLateTag: this.rightLateTag };
    const keyLeft = this.left.getKeySelector() as KeySelector<unknown, unknown>;
    const keyRight = this.right.getKeySelector() as KeySelector<unknown, unknown>;
    const copies = subtaskCopies(fn, "intervalJoin process()");
    return this.left
      .connect(this.right)
      .transform<O>("IntervalJoin", () => new IntervalJoinOperator<L, R, O>(keyLeft, keyRight, spec, copies()), [keyLeft, keyRight]);
  }
}
