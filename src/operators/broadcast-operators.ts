// The two-input operators behind `connect(broadcastStream).process(fn)`: input 0 is the (keyed or
// non-keyed) data stream, input 1 the broadcast stream, of which every subtask gets every element.
// Broadcast state lives in the operator's OperatorStateStore (snapshotted as broadcast state).

import type { OutputTag } from "../core/output-tag.ts";
import type {
  BroadcastBaseContext,
  BroadcastContext,
  BroadcastProcessFunction,
  BroadcastReadOnlyContext,
  KeyedBroadcastContext,
  KeyedBroadcastOnTimerContext,
  KeyedBroadcastProcessFunction,
} from "../core/broadcast-process-functions.ts";
import type { KeySelector } from "../core/functions.ts";
import type { StreamStatusValue } from "../messages/schema.ts";
import type { HeapBroadcastState } from "../state/broadcast-state.ts";
import type { KeyedStateBackend } from "../state/keyed-state-backend.ts";
import type { HeapOperatorStateStore } from "../state/operator-state.ts";
import type { MapStateDescriptor } from "../core/state-descriptors.ts";
import type { KeyedTimerService, TimeDomain } from "../state/timer-service.ts";
import { CombinedWatermark } from "./combined-watermark.ts";
import { BaseOperator, runtimeContextOf, type OperatorContext } from "./operator.ts";

/** Two inputs, the minimum watermark of both, and the broadcast states declared with `broadcast(...)`. */
abstract class BroadcastOperator extends BaseOperator {
  /** Holds the broadcast states: the operator state store of its context, which checkpoints snapshot. */
  private operatorState!: HeapOperatorStateStore;
  private readonly watermark = new CombinedWatermark();
  private readonly declared: ReadonlySet<string>;

  constructor(descriptors: readonly MapStateDescriptor<unknown, unknown>[]) {
    super();
    this.declared = new Set(descriptors.map((d) => d.name));
  }

  override open(ctx: OperatorContext): void | Promise<void> {
    super.open(ctx);
    this.operatorState = ctx.operatorState;
  }

  protected broadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): HeapBroadcastState<K, V> {
    if (!this.declared.has(descriptor.name)) {
      throw new Error(`broadcast state ${JSON.stringify(descriptor.name)} was not declared: pass its descriptor to broadcast(...)`);
    }
    return this.operatorState.getBroadcastState(descriptor);
  }

  /** Side outputs, the record's timestamp and the time, for both sides' contexts. */
  protected baseContext(ctx: OperatorContext): BroadcastBaseContext {
    const { output, clock, timestamp } = ctx;
    return {
      output: <X>(tag: OutputTag<X>, value: X) => output.collectSide(tag.id, value),
      timestamp: () => timestamp.value,
      currentProcessingTime: () => clock.now(),
      currentWatermark: () => this.watermark.current,
    };
  }

  override onWatermark(timestamp: number, input: number): void {
    const advanced = this.watermark.onWatermark(input, timestamp);
    if (advanced !== undefined) this.advanceTo(advanced);
  }

  /** An idle input leaves the minimum, which may let event time advance. */
  onInputStatus(status: StreamStatusValue, input: number): void {
    const advanced = this.watermark.onStatus(input, status);
    if (advanced !== undefined) this.advanceTo(advanced);
  }

  protected advanceTo(watermark: number): void {
    this.output.emitWatermark(watermark);
  }
}

export class BroadcastProcessOperator<IN1, IN2, OUT> extends BroadcastOperator {
  private readOnlyContext!: BroadcastReadOnlyContext;
  private context!: BroadcastContext;

  constructor(readonly userFunction: BroadcastProcessFunction<IN1, IN2, OUT>, descriptors: readonly MapStateDescriptor<unknown, unknown>[]) {
    super(descriptors);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    const base = this.baseContext(ctx);
    this.readOnlyContext = { ...base, getBroadcastState: (d) => this.broadcastState(d).readOnly };
    this.context = { ...base, getBroadcastState: (d) => this.broadcastState(d) };
    const runtime = runtimeContextOf(ctx);
    this.userFunction.setRuntimeContext(runtime);
    await this.userFunction.open(runtime);
  }

  process(record: unknown, input: number): void {
    if (input === 0) this.userFunction.processElement(record as IN1, this.readOnlyContext, this.output);
    else this.userFunction.processBroadcastElement(record as IN2, this.context, this.output);
  }

  override close(): void | Promise<void> {
    return this.userFunction.close();
  }
}

export class KeyedBroadcastProcessOperator<K, IN1, IN2, OUT> extends BroadcastOperator {
  private state!: KeyedStateBackend;
  private timers!: KeyedTimerService;
  private readOnlyContext!: KeyedBroadcastOnTimerContext<K>;
  private context!: KeyedBroadcastContext<K>;
  private domain: TimeDomain = "processing-time";

  constructor(
    private readonly keySelector: KeySelector<unknown, unknown>,
    readonly userFunction: KeyedBroadcastProcessFunction<K, IN1, IN2, OUT>,
    descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    super(descriptors);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    if (!ctx.keyedState || !ctx.timers) throw new Error("a keyed broadcast operator needs keyed state and timers: its data input must be keyed");
    const state = (this.state = ctx.keyedState);
    const timers = (this.timers = ctx.timers);
    const base = this.baseContext(ctx);
    // One context serves processElement and onTimer: the time domain only matters in onTimer.
    this.readOnlyContext = {
      ...base,
      getBroadcastState: (d) => this.broadcastState(d).readOnly,
      getCurrentKey: () => state.currentKey as K,
      timerService: () => timers.forUser,
      timeDomain: () => this.domain,
    };
    this.context = {
      ...base,
      getBroadcastState: (d) => this.broadcastState(d),
      applyToKeyedState: (descriptor, fn) => state.applyToAllKeys(descriptor, (key, keyedState) => fn(key as K, keyedState)),
    };
    const runtime = runtimeContextOf(ctx);
    this.userFunction.setRuntimeContext(runtime);
    await this.userFunction.open(runtime);
  }

  process(record: unknown, input: number): void {
    if (input === 0) {
      this.state.setCurrentKey(this.keySelector(record));
      this.userFunction.processElement(record as IN1, this.readOnlyContext, this.output);
    } else {
      this.userFunction.processBroadcastElement(record as IN2, this.context, this.output);
    }
  }

  onTimer(timestamp: number, key: unknown, domain: TimeDomain): void {
    this.state.setCurrentKey(key);
    this.domain = domain;
    // Output of an event-time timer carries the timer's time; of a processing-time timer, none.
    this.ctx.timestamp.value = domain === "event-time" ? timestamp : undefined;
    this.userFunction.onTimer(timestamp, this.readOnlyContext, this.output);
  }

  /** Due event-time timers fire before the watermark moves on. */
  protected override advanceTo(watermark: number): void {
    this.timers.advanceWatermark(watermark);
    super.advanceTo(watermark);
  }

  override close(): void | Promise<void> {
    return this.userFunction.close();
  }
}
