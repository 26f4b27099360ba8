// map, flatMap and filter: one-input operators that hold no state.
// Each resolves the user function to a plain callable once, at open, not per record.

import { callable, closeFunction, openFunction, type FilterFunction, type FlatMapFunction, type MapFunction } from "../core/functions.ts";
import { BaseOperator, runtimeContextOf, type Collector, type OperatorContext } from "./operator.ts";

export class MapOperator<I, O> extends BaseOperator {
  private fn!: (value: I) => O;
  constructor(readonly userFunction: MapFunction<I, O>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.fn = callable(this.userFunction, "map");
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }
  process(record: unknown): void {
    this.output.collect(this.fn(record as I));
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export class FlatMapOperator<I, O> extends BaseOperator {
  private fn!: (value: I, out: Collector<O>) => void;
  constructor(readonly userFunction: FlatMapFunction<I, O>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.fn = callable(this.userFunction, "flatMap");
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }
  process(record: unknown): void {
    this.fn(record as I, this.output as Collector<O>);
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export class FilterOperator<I> extends BaseOperator {
  private fn!: (value: I) => boolean;
  constructor(readonly userFunction: FilterFunction<I>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.fn = callable(this.userFunction, "filter");
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }
  process(record: unknown): void {
    if (this.fn(record as I)) this.output.collect(record);
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

