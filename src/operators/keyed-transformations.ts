// map, flatMap and filter on a keyed stream: like their stateless siblings, but keyed operators,
// so a rich function reaches the keyed state of the record's key through getRuntimeContext().
// The non-keyed operators stay as they are: no key to compute on that path.

import { callable, closeFunction, openFunction, type FilterFunction, type FlatMapFunction, type KeySelector, type MapFunction } from "../core/functions.ts";
import { KeyedOperator } from "./keyed.ts";
import type { Collector, OperatorContext } from "./operator.ts";

export class KeyedMapOperator<I, O> extends KeyedOperator {
  private fn!: (value: I) => O;
  constructor(keySelector: KeySelector<unknown, unknown>, readonly userFunction: MapFunction<I, O>) {
    super(keySelector);
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.fn = callable(this.userFunction, "map");
    await openFunction(this.userFunction, this.keyedRuntimeContext());
  }
  protected processKeyed(record: unknown): void {
    this.output.collect(this.fn(record as I));
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export class KeyedFlatMapOperator<I, O> extends KeyedOperator {
  private fn!: (value: I, out: Collector<O>) => void;
  constructor(keySelector: KeySelector<unknown, unknown>, readonly userFunction: FlatMapFunction<I, O>) {
    super(keySelector);
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.fn = callable(this.userFunction, "flatMap");
    await openFunction(this.userFunction, this.keyedRuntimeContext());
  }
  protected processKeyed(record: unknown): void {
    this.fn(record as I, this.output as Collector<O>);
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export class KeyedFilterOperator<I> extends KeyedOperator {
  private fn!: (value: I) => boolean;
  constructor(keySelector: KeySelector<unknown, unknown>, readonly userFunction: FilterFunction<I>) {
    super(keySelector);
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.fn = callable(this.userFunction, "filter");
    await openFunction(this.userFunction, this.keyedRuntimeContext());
  }
  protected processKeyed(record: unknown): void {
    if (this.fn(record as I)) this.output.collect(record);
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}
