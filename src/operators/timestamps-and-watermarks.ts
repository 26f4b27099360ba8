// Assigns event-time timestamps to records and generates watermarks (per event and every
// autoWatermarkInterval ms on the injected clock), with idleness. Upstream watermarks are
// replaced by this operator's own, except the final +∞ at the end of input.
// Chained to a source, it keeps a generator per split of the reader (the reader's records say
// their split through SourceOutput.forSplit; split-watermarks.ts combines them).

import type { WatermarkStrategy } from "../core/watermark-strategy.ts";
import { BaseOperator, type OperatorContext } from "./operator.ts";
import { SplitWatermarks, type ReaderProgress, type SplitWatermark } from "./split-watermarks.ts";

export class TimestampsAndWatermarksOperator<T> extends BaseOperator {
  /** Per split; a stream that is not a source's has only the reader's own split. */
  splits!: SplitWatermarks<T>;
  private emitted = -Infinity;
  private timer: unknown;
  private closed = false;

  constructor(private readonly strategy: WatermarkStrategy<T>, private readonly autoWatermarkIntervalMs: number) {
    super();
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    const clock = ctx.clock;
    this.splits = new SplitWatermarks<T>(() => this.strategy.createGenerator({ now: () => clock.now() }));
    if (this.autoWatermarkIntervalMs > 0) this.schedulePeriodicEmit();
  }

  process(record: unknown): void {
    this.processOfSplit(record, this.splits.own);
  }

  /** A record of one split of the source reader this operator is chained to. */
  processOfSplit(record: unknown, split: SplitWatermark<T>): void {
    const current = this.ctx.timestamp;
    let timestamp: number | undefined;
    if (this.strategy.ingestionTime) timestamp = this.ctx.clock.now();
    else if (this.strategy.timestampAssigner) timestamp = this.strategy.timestampAssigner(record as T, current.value);
    else timestamp = current.value;
    if (typeof timestamp !== "number" || Number.isNaN(timestamp)) {
      throw new Error(
        timestamp === undefined
          ? "a record has no event-time timestamp: give the WatermarkStrategy a timestamp assigner (withTimestampAssigner)"
          : `the timestamp assigner returned ${String(timestamp)}, not a number of milliseconds`,
      );
    }
    current.value = timestamp;
    // The record goes first: a watermark it causes must not overtake it (Flink's order).
    this.output.collect(record);
    const progress = this.splits.onEvent(split, record as T, timestamp);
    if (progress.watermark !== undefined || progress.status !== undefined) this.apply(progress);
  }

  /** The reader finished split `id`: it no longer holds the watermark back. */
  releaseSplit(id: string): void {
    this.apply(this.splits.release(id));
  }

  /** Only the end of input passes: this operator owns the watermarks of its stream. */
  override onWatermark(timestamp: number): void {
    if (timestamp === Infinity) this.emit(Infinity);
  }

  override finish(): void {
    this.stopTimer();
  }

  override close(): void {
    this.stopTimer();
  }

  private schedulePeriodicEmit(): void {
    this.timer = this.ctx.clock.setTimeout(() => {
      if (this.closed) return;
      this.guarded(() => this.apply(this.splits.onPeriodicEmit()));
      this.schedulePeriodicEmit();
    }, this.autoWatermarkIntervalMs);
  }

  private apply(progress: ReaderProgress): void {
    if (progress.status === "active") this.ctx.streamStatus.markActive();
    if (progress.watermark !== undefined) this.emit(progress.watermark);
    if (progress.status === "idle") this.ctx.streamStatus.markIdle();
  }

  private emit(timestamp: number): void {
    if (timestamp <= this.emitted) return;
    this.emitted = timestamp;
    this.output.emitWatermark(timestamp);
  }

  private stopTimer(): void {
    this.closed = true;
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
  }
}
