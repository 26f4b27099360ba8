// Assigns event-time timestamps to records and generates watermarks (per event and every
// autoWatermarkInterval ms on the injected clock), with idleness. Upstream watermarks are
// replaced by this operator's own, except the final +∞ at the end of input.

import type { WatermarkGenerator, WatermarkOutput, WatermarkStrategy } from "../core/watermark-strategy.ts";
import { BaseOperator, type OperatorContext } from "./operator.ts";

export class TimestampsAndWatermarksOperator<T> extends BaseOperator {
  private generator!: WatermarkGenerator<T>;
  private watermarkOutput!: WatermarkOutput;
  private emitted = -Infinity;
  private timer: unknown;
  private closed = false;

  constructor(private readonly strategy: WatermarkStrategy<T>, private readonly autoWatermarkIntervalMs: number) {
    super();
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    const clock = ctx.clock;
    this.generator = this.strategy.createGenerator({ now: () => clock.now() });
    this.watermarkOutput = {
      emitWatermark: (timestamp) => {
        if (timestamp <= this.emitted) return;
        this.emitted = timestamp;
        this.output.emitWatermark(timestamp);
      },
      markIdle: () => ctx.streamStatus.markIdle(),
      markActive: () => ctx.streamStatus.markActive(),
    };
    if (this.autoWatermarkIntervalMs > 0) this.schedulePeriodicEmit();
  }

  process(record: unknown): void {
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
    this.generator.onEvent(record as T, timestamp, this.watermarkOutput);
  }

  /** Only the end of input passes: this operator owns the watermarks of its stream. */
  override onWatermark(timestamp: number): void {
    if (timestamp === Infinity) this.watermarkOutput.emitWatermark(Infinity);
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
      this.guarded(() => this.generator.onPeriodicEmit(this.watermarkOutput));
      this.schedulePeriodicEmit();
    }, this.autoWatermarkIntervalMs);
  }

  private stopTimer(): void {
    this.closed = true;
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
  }
}
