// The interval join operator (Flink's IntervalJoinOperator): receives both keyed sides, buffers
// each record in keyed state by timestamp, and emits every pair with
// right.timestamp ∈ [left.timestamp + lower, left.timestamp + upper] at the larger of the two
// timestamps. Event-time timers drop buffered records once the watermark says nothing can match them.

import type { KeySelector } from "../core/functions.ts";
import { closeFunction, openFunction } from "../core/functions.ts";
import type { OutputTag } from "../core/output-tag.ts";
import type { Collector, OperatorContext } from "../operators/operator.ts";
import { runtimeContextOf } from "../operators/operator.ts";
import { ValueStateDescriptor, type ValueState } from "../state/keyed-state-backend.ts";
import type { ProcessJoinContext, ProcessJoinFunctionLike } from "./process-join-function.ts";
import { KeyedTwoInputOperator } from "./keyed-two-input-operator.ts";
import { addRecord, forEachBetween, removeBucket, type IntervalBuffer } from "./interval-buffer.ts";

export interface IntervalJoinSpec {
  /** Inclusive bounds, in ms, relative to the left record's timestamp (exclusive ones already shifted by 1). */
  lowerBound: number;
  upperBound: number;
  /** Side output ids for late records; without one, late records are dropped. */
  leftLateTag?: string;
  rightLateTag?: string;
}

const LEFT_BUFFER = new ValueStateDescriptor<IntervalBuffer>("interval-join-left");
const RIGHT_BUFFER = new ValueStateDescriptor<IntervalBuffer>("interval-join-right");

export const MISSING_TIMESTAMP =
  "an interval join needs event-time timestamps on both inputs: assign them with assignTimestampsAndWatermarks() before intervalJoin()";

export class IntervalJoinOperator<L, R, O> extends KeyedTwoInputOperator {
  private left!: ValueState<IntervalBuffer>;
  private right!: ValueState<IntervalBuffer>;
  private out!: Collector<O>;
  private leftTimestamp = 0;
  private rightTimestamp = 0;
  private context!: ProcessJoinContext;

  constructor(
    keySelector1: KeySelector<unknown, unknown>,
    keySelector2: KeySelector<unknown, unknown>,
    private readonly spec: IntervalJoinSpec,
    private readonly fn: ProcessJoinFunctionLike<L, R, O>,
  ) {
    super(keySelector1, keySelector2);
    if (!(spec.lowerBound <= spec.upperBound)) throw new Error(`interval join: the lower bound ${spec.lowerBound} ms is above the upper bound ${spec.upperBound} ms`);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.left = this.state.getState(LEFT_BUFFER);
    this.right = this.state.getState(RIGHT_BUFFER);
    this.out = ctx.output;
    const output = ctx.output;
    this.context = {
      getLeftTimestamp: () => this.leftTimestamp,
      getRightTimestamp: () => this.rightTimestamp,
      getTimestamp: () => Math.max(this.leftTimestamp, this.rightTimestamp),
      output: <X>(tag: OutputTag<X>, value: X) => output.collectSide(tag.id, value),
    };
    await openFunction(this.fn, runtimeContextOf(ctx));
  }

  protected processElement1(record: unknown): void {
    const { lowerBound, upperBound, leftLateTag } = this.spec;
    this.processElement(record, this.left, this.right, lowerBound, upperBound, true, leftLateTag);
  }

  protected processElement2(record: unknown): void {
    const { lowerBound, upperBound, rightLateTag } = this.spec;
    this.processElement(record, this.right, this.left, -upperBound, -lowerBound, false, rightLateTag);
  }

  /** Buffers the record, joins it with the other side's records in [ts + lower, ts + upper], and schedules its cleanup. */
  private processElement(
    record: unknown,
    ours: ValueState<IntervalBuffer>,
    theirs: ValueState<IntervalBuffer>,
    relativeLower: number,
    relativeUpper: number,
    isLeft: boolean,
    lateTag: string | undefined,
  ): void {
    const timestamp = this.ctx.timestamp.value;
    if (timestamp === undefined) throw new Error(MISSING_TIMESTAMP);
    if (timestamp < this.currentWatermark) {
      // Late: the records it could have matched may be gone already, so it joins nothing.
      if (lateTag !== undefined) this.output.collectSide(lateTag, record);
      return;
    }
    const buffer = ours.value() ?? [];
    addRecord(buffer, timestamp, record);
    // Written back even though the heap backend holds the same array: a serializing backend would not.
    ours.update(buffer);
    const other = theirs.value();
    if (other !== undefined) {
      const visit = isLeft
        ? (match: unknown, matchTimestamp: number) => this.emit(record, timestamp, match, matchTimestamp)
        : (match: unknown, matchTimestamp: number) => this.emit(match, matchTimestamp, record, timestamp);
      forEachBetween(other, timestamp + relativeLower, timestamp + relativeUpper, visit);
    }
    // After this watermark no record of the other side can match: relativeUpper > 0 reaches into the future.
    this.timers.registerEventTime(this.state.currentKey, relativeUpper > 0 ? timestamp + relativeUpper : timestamp);
  }

  private emit(left: unknown, leftTimestamp: number, right: unknown, rightTimestamp: number): void {
    this.leftTimestamp = leftTimestamp;
    this.rightTimestamp = rightTimestamp;
    this.ctx.timestamp.value = Math.max(leftTimestamp, rightTimestamp);
    this.fn.processElement(left as L, right as R, this.context, this.out);
  }

  /**
   * A cleanup timer at `timestamp`: drops the left records whose cleanup time it is and the right
   * ones likewise. One timer serves both sides: a bucket is only dropped at its own cleanup time.
   */
  override onTimer(timestamp: number, key: unknown): void {
    this.state.setCurrentKey(key);
    const { lowerBound, upperBound } = this.spec;
    removeFromBuffer(this.left, upperBound <= 0 ? timestamp : timestamp - upperBound);
    removeFromBuffer(this.right, lowerBound <= 0 ? timestamp + lowerBound : timestamp);
  }

  override close(): Promise<void> {
    return closeFunction(this.fn);
  }
}

function removeFromBuffer(state: ValueState<IntervalBuffer>, timestamp: number): void {
  const buffer = state.value();
  if (buffer === undefined || !removeBucket(buffer, timestamp)) return;
  // An empty buffer is no state at all: keys that have gone quiet cost nothing.
  if (buffer.length === 0) state.clear();
  else state.update(buffer);
}
