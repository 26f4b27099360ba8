// map, flatMap and filter: one-input operators that hold no state.
// Each resolves the user function to a plain callable once, at open, not per record. A chain may
// fuse a run of them into one function (runtime/chain-fusion.ts): process() then hands the record
// to that function, which calls the same user functions in the same order.

import { callable, closeFunction, openFunction, type FilterFunction, type FlatMapFunction, type MapFunction } from "../core/functions.ts";
import { BaseOperator, runtimeContextOf, type Collector, type Output, type OperatorContext } from "./operator.ts";

/** What a stateless operator does per record, for fusing it with its neighbours. */
export type StatelessStep =
  | { kind: "map"; fn: (value: unknown) => unknown }
  | { kind: "filter"; fn: (value: unknown) => boolean }
  | { kind: "flatMap"; fn: (value: unknown, out: Collector<unknown>) => void };

/** map, flatMap and filter: open and close the user function, and accept a fused run starting here. */
export abstract class StatelessOperator extends BaseOperator {
  /** Set once the chain is fused: this operator's step and those chained after it, in one function. */
  private fused: ((record: unknown) => void) | undefined = undefined;

  abstract readonly userFunction: unknown;

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.resolve();
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }

  /** Resolves the user function to a callable (at open, before the user's open() runs, as ever). */
  protected abstract resolve(): void;

  /** Its step, once open (undefined before). */
  abstract step(): StatelessStep | undefined;

  /** Its output, where an unfused step sends its results. */
  get chainOutput(): Output {
    return this.output;
  }

  /** From now on process() runs `fused`, which does this operator's work and that of the run after it. */
  fuse(fused: (record: unknown) => void): void {
    this.fused = fused;
  }

  /** The fused run starting here, once the chain is fused. */
  get fusedRun(): ((record: unknown) => void) | undefined {
    return this.fused;
  }

  process(record: unknown): void {
    const fused = this.fused;
    if (fused !== undefined) fused(record);
    else this.processOne(record);
  }

  protected abstract processOne(record: unknown): void;

  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export class MapOperator<I, O> extends StatelessOperator {
  private fn: ((value: I) => O) | undefined = undefined;
  constructor(readonly userFunction: MapFunction<I, O>) {
    super();
  }
  protected resolve(): void {
    this.fn = callable(this.userFunction, "map");
  }
  step(): StatelessStep | undefined {
    return this.fn && { kind: "map", fn: this.fn as (value: unknown) => unknown };
  }
  protected processOne(record: unknown): void {
    this.output.collect(this.fn!(record as I));
  }
}

export class FlatMapOperator<I, O> extends StatelessOperator {
  private fn: ((value: I, out: Collector<O>) => void) | undefined = undefined;
  constructor(readonly userFunction: FlatMapFunction<I, O>) {
    super();
  }
  protected resolve(): void {
    this.fn = callable(this.userFunction, "flatMap");
  }
  step(): StatelessStep | undefined {
    return this.fn && { kind: "flatMap", fn: this.fn as (value: unknown, out: Collector<unknown>) => void };
  }
  protected processOne(record: unknown): void {
    this.fn!(record as I, this.output as Collector<O>);
  }
}

export class FilterOperator<I> extends StatelessOperator {
  private fn: ((value: I) => boolean) | undefined = undefined;
  constructor(readonly userFunction: FilterFunction<I>) {
    super();
  }
  protected resolve(): void {
    this.fn = callable(this.userFunction, "filter");
  }
  step(): StatelessStep | undefined {
    return this.fn && { kind: "filter", fn: this.fn as (value: unknown) => boolean };
  }
  protected processOne(record: unknown): void {
    if (this.fn!(record as I)) this.output.collect(record);
  }
}
