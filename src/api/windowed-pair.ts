// What window joins and coGroup share (Flink's CoGroupedStreams.WithWindow): receives both sides,
// their key selectors and a window assigner, and builds tag → union → keyBy → window → a
// CoGroupWindowFunction, with the trigger, evictor and allowed lateness set on the way.

import type { DataStream, SingleOutputStreamOperator } from "./data-stream.ts";
import type { KeySelector } from "../core/functions.ts";
import type { WindowAssigner } from "../windowing/assigners.ts";
import type { Evictor } from "../windowing/evictors.ts";
import type { Trigger } from "../windowing/trigger.ts";
import type { Window } from "../windowing/windows.ts";
import { CoGroupWindowFunction, type CoGroupFunction, type TaggedUnion } from "../joins/join-functions.ts";

/** Both sides of a window join or coGroup, keyed and windowed; subclasses add `apply`. */
export abstract class WindowedPair<L, R, K, W extends Window> {
  private customTrigger?: Trigger<TaggedUnion<L, R>, W>;
  private customEvictor?: Evictor<TaggedUnion<L, R>, W>;
  private lateness = 0;

  /** @internal */
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly keyLeft: KeySelector<L, K>,
    private readonly keyRight: KeySelector<R, K>,
    private readonly assigner: WindowAssigner<TaggedUnion<L, R>, W>,
  ) {}

  /** Replaces the assigner's default trigger (it sees elements of both sides, tagged). */
  trigger(trigger: Trigger<TaggedUnion<L, R>, W>): this {
    this.customTrigger = trigger;
    return this;
  }

  /** Removes tagged elements of either side from a firing window before the function sees them. */
  evictor(evictor: Evictor<TaggedUnion<L, R>, W>): this {
    this.customEvictor = evictor;
    return this;
  }

  /** Event time: keeps windows `ms` past their end; late elements fire them again with updated results. */
  allowedLateness(ms: number): this {
    this.lateness = ms;
    return this;
  }

  /** Adds the operators; `createFunction` gives each subtask its own coGroup function. */
  protected coGroupWindow<O>(createFunction: () => CoGroupFunction<L, R, O>): SingleOutputStreamOperator<O> {
    const { keyLeft, keyRight } = this;
    const lefts = this.left.map((value): TaggedUnion<L, R> => ({ side: 0, value })).name("Tag(left)");
    const rights = this.right.map((value): TaggedUnion<L, R> => ({ side: 1, value })).name("Tag(right)");
    // Flink's UnionKeySelector: each side's own key selector, so equal keys of both meet in one window.
    const unionKey = (tagged: TaggedUnion<L, R>): K => (tagged.side === 0 ? keyLeft(tagged.value as L) : keyRight(tagged.value as R));
    const windowed = lefts.union(rights).keyBy(unionKey).window(this.assigner);
    if (this.customTrigger) windowed.trigger(this.customTrigger);
    if (this.customEvictor) windowed.evictor(this.customEvictor);
    windowed.allowedLateness(this.lateness);
    return windowed.apply<O>(new CoGroupWindowFunction<L, R, O>(createFunction));
  }
}
