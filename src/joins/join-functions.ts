// The user functions of window joins and coGroup (Flink's JoinFunction, FlatJoinFunction and
// CoGroupFunction), each a plain function or an object with the method, and the window function
// that runs one of them on a fired window of tagged elements from both sides.

import { callable, closeFunction, openFunction, type RichFunction } from "../core/functions.ts";
import type { Collector, RuntimeContext } from "../operators/operator.ts";

/** One output per matching pair. */
export type JoinFunction<L, R, O> = ((left: L, right: R) => O) | (RichFunction & { join(left: L, right: R): O });

/** Zero or more outputs per matching pair. Told apart from a JoinFunction by its third parameter, `out`. */
export type FlatJoinFunction<L, R, O> = ((left: L, right: R, out: Collector<O>) => void) | (RichFunction & { join(left: L, right: R, out: Collector<O>): void });

/** Called once per key and window with the elements of each side (one list may be empty, never both). */
export type CoGroupFunction<L, R, O> =
  | ((lefts: readonly L[], rights: readonly R[], out: Collector<O>) => void)
  | (RichFunction & { coGroup(lefts: readonly L[], rights: readonly R[], out: Collector<O>): void });

/** An element of either side on the way into the window: `side` 0 is the left (first) stream. */
export interface TaggedUnion<L, R> {
  side: 0 | 1;
  value: L | R;
}

/** Whether a join function takes an `out` collector: a function (or `join` method) declaring three parameters. */
export function isFlatJoinFunction<L, R, O>(fn: JoinFunction<L, R, O> | FlatJoinFunction<L, R, O>): fn is FlatJoinFunction<L, R, O> {
  const method = typeof fn === "function" ? fn : (fn as { join?: unknown }).join;
  if (typeof method !== "function") throw new Error("a join function must be a function or an object with a join() method");
  return method.length >= 3;
}

/**
 * A join as a coGroup: every (left, right) pair of one key and window, left-major. Create one per
 * subtask; `flat` is what isFlatJoinFunction said of `fn`.
 */
export function joinAsCoGroup<L, R, O>(fn: JoinFunction<L, R, O> | FlatJoinFunction<L, R, O>, flat: boolean): CoGroupFunction<L, R, O> & RichFunction {
  if (flat) {
    let join!: (left: L, right: R, out: Collector<O>) => void;
    return {
      open: async (ctx) => {
        join = callable(fn as FlatJoinFunction<L, R, O>, "join");
        await openFunction(fn, ctx);
      },
      close: () => closeFunction(fn),
      coGroup(lefts, rights, out) {
        for (const left of lefts) for (const right of rights) join(left, right, out);
      },
    };
  }
  let join!: (left: L, right: R) => O;
  return {
    open: async (ctx) => {
      join = callable(fn as JoinFunction<L, R, O>, "join");
      await openFunction(fn, ctx);
    },
    close: () => closeFunction(fn),
    coGroup(lefts, rights, out) {
      for (const left of lefts) for (const right of rights) out.collect(join(left, right));
    },
  };
}

/**
 * The window function behind join and coGroup (Flink's CoGroupWindowFunction): splits a fired
 * window's tagged elements by side and calls the coGroup function once. Rich: the window operator
 * opens it with its runtime context and it opens the user's function, a copy per subtask.
 */
export class CoGroupWindowFunction<L, R, O> {
  private coGroup!: (lefts: readonly L[], rights: readonly R[], out: Collector<O>) => void;
  private fn!: CoGroupFunction<L, R, O>;

  /** `createFunction` gives a fresh user function per subtask. */
  constructor(private readonly createFunction: () => CoGroupFunction<L, R, O>) {}

  async open(ctx: RuntimeContext): Promise<void> {
    this.fn = this.createFunction();
    this.coGroup = callable(this.fn, "coGroup");
    await openFunction(this.fn, ctx);
  }

  close(): Promise<void> {
    return closeFunction(this.fn);
  }

  apply(_key: unknown, _window: unknown, elements: readonly TaggedUnion<L, R>[], out: Collector<O>): void {
    const lefts: L[] = [];
    const rights: R[] = [];
    for (const element of elements) {
      if (element.side === 0) lefts.push(element.value as L);
      else rights.push(element.value as R);
    }
    this.coGroup(lefts, rights, out);
  }
}
