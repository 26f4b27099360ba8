// The coGroup API: `a.coGroup(b).where(ka).equalTo(kb).window(assigner).apply(fn)` (Flink's
// CoGroupedStreams). Receives two streams; per key and window, calls the function once with the
// elements of each side and sends what it emits downstream.

import type { DataStream, SingleOutputStreamOperator } from "./data-stream.ts";
import type { KeySelector } from "../core/functions.ts";
import { subtaskCopies } from "./subtask-copies.ts";
import type { WindowAssigner } from "../windowing/assigners.ts";
import type { Window } from "../windowing/windows.ts";
import type { CoGroupFunction, TaggedUnion } from "../joins/join-functions.ts";
import { WindowedPair } from "./windowed-pair.ts";

/**
 * Two streams to be grouped together per key and window.
 * @example
 * orders.coGroup(payments)
 *   .where((o) => o.id)
 *   .equalTo((p) => p.orderId)
 *   .window(TumblingEventTimeWindows.of(60_000))
 *   .apply((os, ps, out) => { if (ps.length === 0) for (const o of os) out.collect(`unpaid ${o.id}`); });
 */
export class CoGroupedStreams<L, R> {
  /** @internal Use `DataStream.coGroup`. */
  constructor(private readonly left: DataStream<L>, private readonly right: DataStream<R>) {}

  /** The key of the left (first) stream's elements. */
  where<K>(keyLeft: KeySelector<L, K>): CoGroupWhere<L, R, K> {
    return new CoGroupWhere<L, R, K>(this.left, this.right, keyLeft);
  }
}

export class CoGroupWhere<L, R, K> {
  /** @internal */
  constructor(private readonly left: DataStream<L>, private readonly right: DataStream<R>, private readonly keyLeft: KeySelector<L, K>) {}

  /** The key of the right (second) stream's elements; it must equal the left key to group together. */
  equalTo(keyRight: KeySelector<R, K>): CoGroupEqualTo<L, R, K> {
    return new CoGroupEqualTo<L, R, K>(this.left, this.right, this.keyLeft, keyRight);
  }
}

export class CoGroupEqualTo<L, R, K> {
  /** @internal */
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly keyLeft: KeySelector<L, K>,
    private readonly keyRight: KeySelector<R, K>,
  ) {}

  /** The windows both sides are cut into, e.g. `TumblingEventTimeWindows.of(ms)` or `EventTimeSessionWindows.withGap(ms)`. */
  window<W extends Window>(assigner: WindowAssigner<TaggedUnion<L, R>, W>): WindowedCoGroup<L, R, K, W> {
    return new WindowedCoGroup<L, R, K, W>(this.left, this.right, this.keyLeft, this.keyRight, assigner);
  }
}

export class WindowedCoGroup<L, R, K, W extends Window> extends WindowedPair<L, R, K, W> {
  /** Calls `fn(lefts, rights, out)` once per key and fired window holding elements of either side. */
  apply<O>(fn: CoGroupFunction<L, R, O>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "coGroup apply()");
    return this.coGroupWindow<O>(copies);
  }
}
