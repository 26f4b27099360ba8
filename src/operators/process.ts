// Non-keyed process operators: ProcessFunction, and the two-input CoMap, CoFlatMap and
// CoProcess operators behind connect(). Two-input operators get input 0 or 1 with each record.

import { closeFunction, openFunction, type CoFlatMapFunction, type CoMapFunction } from "../core/functions.ts";
import type { OutputTag } from "../core/output-tag.ts";
import type { CoProcessFunction, ProcessContext, ProcessFunction } from "../core/process-functions.ts";
import type { TimerService } from "../state/timer-service.ts";
import type { StreamStatusValue } from "../messages/schema.ts";
import { CombinedWatermark } from "./combined-watermark.ts";
import { BaseOperator, runtimeContextOf, type Collector, type OperatorContext } from "./operator.ts";

const KEYED_TIMERS_ONLY = "timers are only available on a keyed stream: call keyBy() before process()";

function refuse(): never {
  throw new Error(KEYED_TIMERS_ONLY);
}

/** The context of a non-keyed process function: side outputs, the record's timestamp, time; no timers. */
function processContext(ctx: OperatorContext, watermark: () => number): ProcessContext {
  const output = ctx.output;
  const clock = ctx.clock;
  const current = ctx.timestamp;
  const timers: TimerService = {
    currentProcessingTime: () => clock.now(),
    currentWatermark: watermark,
    registerProcessingTimeTimer: refuse,
    deleteProcessingTimeTimer: refuse,
    registerEventTimeTimer: refuse,
    deleteEventTimeTimer: refuse,
  };
  return {
    output: <X>(tag: OutputTag<X>, value: X) => output.collectSide(tag.id, value),
    timerService: () => timers,
    timestamp: () => current.value,
  };
}

export class ProcessOperator<I, O> extends BaseOperator {
  private context!: ProcessContext;
  private watermark = -Infinity;
  constructor(readonly userFunction: ProcessFunction<I, O>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.context = processContext(ctx, () => this.watermark);
    const runtime = runtimeContextOf(ctx);
    this.userFunction.setRuntimeContext(runtime);
    await this.userFunction.open(runtime);
  }
  process(record: unknown): void {
    this.userFunction.processElement(record as I, this.context, this.output);
  }
  override onWatermark(timestamp: number): void {
    this.watermark = timestamp;
    this.output.emitWatermark(timestamp);
  }
  override close(): void | Promise<void> {
    return this.userFunction.close();
  }
}

/** Two-input operators forward the minimum watermark of both inputs. */
/** Two-input operators forward the minimum watermark of their inputs, leaving out an idle input. */
abstract class TwoInputOperator extends BaseOperator {
  private readonly combined = new CombinedWatermark();
  protected get emitted(): number {
    return this.combined.current;
  }
  override onWatermark(timestamp: number, input: number): void {
    const advanced = this.combined.onWatermark(input, timestamp);
    if (advanced !== undefined) this.output.emitWatermark(advanced);
  }
  onInputStatus(status: StreamStatusValue, input: number): void {
    const advanced = this.combined.onStatus(input, status);
    if (advanced !== undefined) this.output.emitWatermark(advanced);
  }
}

export class CoMapOperator<I1, I2, O> extends TwoInputOperator {
  constructor(readonly userFunction: CoMapFunction<I1, I2, O>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }
  process(record: unknown, input: number): void {
    this.output.collect(input === 0 ? this.userFunction.map1(record as I1) : this.userFunction.map2(record as I2));
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export class CoFlatMapOperator<I1, I2, O> extends TwoInputOperator {
  constructor(readonly userFunction: CoFlatMapFunction<I1, I2, O>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }
  process(record: unknown, input: number): void {
    if (input === 0) this.userFunction.flatMap1(record as I1, this.output as Collector<O>);
    else this.userFunction.flatMap2(record as I2, this.output as Collector<O>);
  }
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

export class CoProcessOperator<I1, I2, O> extends TwoInputOperator {
  private context!: ProcessContext;
  constructor(readonly userFunction: CoProcessFunction<I1, I2, O>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.context = processContext(ctx, () => this.emitted);
    const runtime = runtimeContextOf(ctx);
    this.userFunction.setRuntimeContext(runtime);
    await this.userFunction.open(runtime);
  }
  process(record: unknown, input: number): void {
    if (input === 0) this.userFunction.processElement1(record as I1, this.context, this.output);
    else this.userFunction.processElement2(record as I2, this.context, this.output);
  }
  override close(): void | Promise<void> {
    return this.userFunction.close();
  }
}
