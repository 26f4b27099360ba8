// The window join API: `a.join(b).where(ka).equalTo(kb).window(assigner).apply(fn)` (Flink's
// JoinedStreams). Receives two streams; per key and window, emits fn(left, right) for every pair
// of elements of the two sides, built as a coGroup (as Flink does).

import type { DataStream, SingleOutputStreamOperator } from "./data-stream.ts";
import type { KeySelector } from "../core/functions.ts";
import { subtaskCopies } from "./subtask-copies.ts";
import type { Collector } from "../operators/operator.ts";
import type { WindowAssigner } from "../windowing/assigners.ts";
import type { Window } from "../windowing/windows.ts";
import { isFlatJoinFunction, joinAsCoGroup, type FlatJoinFunction, type JoinFunction, type TaggedUnion } from "../joins/join-functions.ts";
import { WindowedPair } from "./windowed-pair.ts";

/**
 * Two streams to be joined per key and window (an inner join).
 * @example
 * clicks.join(impressions)
 *   .where((c) => c.adId)
 *   .equalTo((i) => i.adId)
 *   .window(TumblingEventTimeWindows.of(60_000))
 *   .apply((click, impression) => ({ ad: click.adId, delay: click.time - impression.time }));
 */
export class JoinedStreams<L, R> {
  /** @internal Use `DataStream.join`. */
  constructor(private readonly left: DataStream<L>, private readonly right: DataStream<R>) {}

  /** The key of the left (first) stream's elements. */
  where<K>(keyLeft: KeySelector<L, K>): JoinWhere<L, R, K> {
    return new JoinWhere<L, R, K>(this.left, this.right, keyLeft);
  }
}

export class JoinWhere<L, R, K> {
  /** @internal */
  constructor(private readonly left: DataStream<L>, private readonly right: DataStream<R>, private readonly keyLeft: KeySelector<L, K>) {}

  /** The key of the right (second) stream's elements; it must equal the left key to join. */
  equalTo(keyRight: KeySelector<R, K>): JoinEqualTo<L, R, K> {
    return new JoinEqualTo<L, R, K>(this.left, this.right, this.keyLeft, keyRight);
  }
}

export class JoinEqualTo<L, R, K> {
  /** @internal */
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly keyLeft: KeySelector<L, K>,
    private readonly keyRight: KeySelector<R, K>,
  ) {}

  /** The windows both sides are cut into; only elements in the same window join. */
  window<W extends Window>(assigner: WindowAssigner<TaggedUnion<L, R>, W>): WindowedJoin<L, R, K, W> {
    return new WindowedJoin<L, R, K, W>(this.left, this.right, this.keyLeft, this.keyRight, assigner);
  }
}

export class WindowedJoin<L, R, K, W extends Window> extends WindowedPair<L, R, K, W> {
  /**
   * For every pair of one key and fired window: `fn(left, right)` emits one result (a JoinFunction),
   * or `fn(left, right, out)` emits any number (a FlatJoinFunction: a function or `join` method
   * declaring three parameters). Results carry the window's max timestamp.
   */
  apply<O>(fn: (left: L, right: R) => O): SingleOutputStreamOperator<O>;
  apply<O>(fn: (left: L, right: R, out: Collector<O>) => void): SingleOutputStreamOperator<O>;
  apply<O>(fn: JoinFunction<L, R, O> | FlatJoinFunction<L, R, O>): SingleOutputStreamOperator<O>;
  apply<O>(fn: JoinFunction<L, R, O> | FlatJoinFunction<L, R, O>): SingleOutputStreamOperator<O> {
    // Decided (and checked) once, here: a function object without join() fails now, not in a subtask.
    const flat = isFlatJoinFunction(fn);
    const copies = subtaskCopies(fn, "join apply()");
    return this.coGroupWindow<O>(() => joinAsCoGroup<L, R, O>(copies(), flat));
  }
}
