// KeyedCoProcessFunction: the user function of a keyed two-input stream (`connect(a, b).keyBy(ka, kb)`).
// Receives the records of both sides with their key current; may use keyed state, timers and side outputs.

import type { Collector } from "../operators/operator.ts";
import { AbstractRichFunction } from "../core/functions.ts";
import type { KeyedProcessContext, KeyedRuntimeContext, OnTimerContext } from "../core/process-functions.ts";

/**
 * Processes two keyed inputs whose equal keys meet in one subtask: state and timers are the
 * current key's, whichever side the record came from (Flink's KeyedCoProcessFunction).
 * @example
 * class LatestPrice extends KeyedCoProcessFunction<string, Order, Price, string> {
 *   private price!: ValueState<number>;
 *   override open(ctx: KeyedRuntimeContext): void {
 *     this.price = ctx.getState(new ValueStateDescriptor<number>("price"));
 *   }
 *   processElement1(order: Order, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
 *     out.collect(`${ctx.getCurrentKey()}: ${order.qty * (this.price.value() ?? NaN)}`);
 *   }
 *   processElement2(price: Price): void {
 *     this.price.update(price.value);
 *   }
 * }
 * orders.connect(prices).keyBy((o) => o.item, (p) => p.item).process(new LatestPrice());
 */
export abstract class KeyedCoProcessFunction<K, I1, I2, O> extends AbstractRichFunction<KeyedRuntimeContext> {
  abstract processElement1(value: I1, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  abstract processElement2(value: I2, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  /** A timer of the current key fired; event-time timers fire when the minimum watermark of both inputs passes them. */
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<O>): void {}
}
