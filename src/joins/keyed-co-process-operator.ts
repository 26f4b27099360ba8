// The operator behind `connect(a, b).keyBy(ka, kb).process(fn)`: receives both inputs keyed,
// hands each record to processElement1/2 with its key current, and timers to onTimer; emits
// what the function emits (timer output carries the timer's timestamp in event time).

import type { KeySelector } from "../core/functions.ts";
import type { OnTimerContext } from "../core/process-functions.ts";
import type { Collector, OperatorContext } from "../operators/operator.ts";
import type { TimeDomain } from "../state/timer-service.ts";
import type { KeyedCoProcessFunction } from "./keyed-co-process-function.ts";
import { KeyedTwoInputOperator } from "./keyed-two-input-operator.ts";
import { keyedProcessContext } from "../operators/keyed.ts";

export class KeyedCoProcessOperator<K, I1, I2, O> extends KeyedTwoInputOperator {
  private context!: OnTimerContext<K>;
  private out!: Collector<O>;
  private domain: TimeDomain = "processing-time";

  constructor(keySelector1: KeySelector<unknown, unknown>, keySelector2: KeySelector<unknown, unknown>, private readonly fn: KeyedCoProcessFunction<K, I1, I2, O>) {
    super(keySelector1, keySelector2);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.out = ctx.output;
    this.context = keyedProcessContext<K>(ctx, this.state, this.timers, () => this.domain);
    const runtime = this.keyedRuntimeContext();
    this.fn.setRuntimeContext(runtime);
    await this.fn.open(runtime);
  }

  protected processElement1(record: unknown): void {
    this.fn.processElement1(record as I1, this.context, this.out);
  }

  protected processElement2(record: unknown): void {
    this.fn.processElement2(record as I2, this.context, this.out);
  }

  override onTimer(timestamp: number, key: unknown, domain: TimeDomain): void {
    this.state.setCurrentKey(key);
    this.domain = domain;
    // Output of an event-time timer carries the timer's time; of a processing-time timer, none.
    this.ctx.timestamp.value = domain === "event-time" ? timestamp : undefined;
    this.fn.onTimer(timestamp, this.context, this.out);
  }

  override close(): void | Promise<void> {
    return this.fn.close();
  }
}
