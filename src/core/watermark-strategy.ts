// WatermarkStrategy: how a stream gets event-time timestamps and watermarks (Flink's API):
// a timestamp assigner, a watermark generator (periodic and/or punctuated), optional idleness,
// and optional watermark alignment of the sources that use it (FLIP-182).

/** Where a generator sends watermarks and idleness. */
export interface WatermarkOutput {
  emitWatermark(timestamp: number): void;
  /** No events for a while: leave this stream out of downstream watermark minimums. */
  markIdle(): void;
  markActive(): void;
}

/**
 * Generates watermarks from events (punctuated: in `onEvent`) and/or periodically (every
 * `autoWatermarkInterval` ms: in `onPeriodicEmit`).
 */
export interface WatermarkGenerator<T> {
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** Extracts an event's timestamp (ms); `recordTimestamp` is the one it already carries, if any. */
export type TimestampAssigner<T> = (event: T, recordTimestamp: number | undefined) => number;

/** Flink's BoundedOutOfOrdernessWatermarks: watermark = highest timestamp seen − bound − 1. */
export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  private maxTimestamp = -Infinity;
  constructor(private readonly outOfOrdernessMs: number) {
    if (!(outOfOrdernessMs >= 0)) throw new Error(`out-of-orderness must be >= 0 ms, got ${outOfOrdernessMs}`);
  }
  onEvent(_event: T, timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.maxTimestamp !== -Infinity) output.emitWatermark(this.maxTimestamp - this.outOfOrdernessMs - 1);
  }
}

/**
 * Wraps a generator: a stream with no events for `idleTimeoutMs` of processing time is marked
 * idle, and active again with its next event (Flink's WatermarksWithIdleness).
 */
export class WatermarksWithIdleness<T> implements WatermarkGenerator<T> {
  private lastEventAt: number;
  private idle = false;
  constructor(private readonly inner: WatermarkGenerator<T>, private readonly idleTimeoutMs: number, private readonly now: () => number) {
    if (!(idleTimeoutMs > 0)) throw new Error(`withIdleness needs a timeout > 0 ms, got ${idleTimeoutMs}`);
    this.lastEventAt = now();
  }
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void {
    this.lastEventAt = this.now();
    if (this.idle) {
      this.idle = false;
      output.markActive();
    }
    this.inner.onEvent(event, timestamp, output);
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    if (!this.idle && this.now() - this.lastEventAt >= this.idleTimeoutMs) {
      this.idle = true;
      output.markIdle();
    }
    if (!this.idle) this.inner.onPeriodicEmit(output);
  }
}

/** What a generator factory may use. */
export interface WatermarkGeneratorContext {
  /** Processing time (the injected clock). */
  now(): number;
}

/** Watermark alignment (FLIP-182): readers in `group` stay within `maxDriftMs` of the group's lowest watermark. */
export interface WatermarkAlignment {
  readonly group: string;
  readonly maxDriftMs: number;
  /** How often readers report their watermark and the group's bound is announced again. */
  readonly updateIntervalMs: number;
}

const GROUP_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * @example
 * stream.assignTimestampsAndWatermarks(
 *   WatermarkStrategy.forBoundedOutOfOrderness<Bid>(4000).withTimestampAssigner((bid) => bid.time).withIdleness(10_000),
 * );
 */
export class WatermarkStrategy<T> {
  private constructor(
    private readonly generatorFactory: (ctx: WatermarkGeneratorContext) => WatermarkGenerator<T>,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    readonly idleTimeoutMs: number | undefined,
    /** Ingestion time: timestamps are the processing time at which records pass the assigner. */
    readonly ingestionTime: boolean,
    readonly alignment?: WatermarkAlignment,
  ) {}

  /** Timestamps never decrease: the watermark follows the highest timestamp. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(0), undefined, undefined, false);
  }

  /** Events arrive at most `maxOutOfOrdernessMs` late relative to the highest timestamp seen. */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    new BoundedOutOfOrdernessWatermarks<T>(maxOutOfOrdernessMs);
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(maxOutOfOrdernessMs), undefined, undefined, false);
  }

  /** A custom periodic or punctuated generator. */
  static forGenerator<T>(factory: (ctx: WatermarkGeneratorContext) => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(factory, undefined, undefined, false);
  }

  /** Timestamps but no watermarks (event time never advances from this stream). */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => ({ onEvent: () => undefined, onPeriodicEmit: () => undefined }), undefined, undefined, false);
  }

  /** Ingestion time: each record is stamped with the processing time when it is assigned; watermarks follow. */
  static forIngestionTime<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(0), undefined, undefined, true);
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.generatorFactory, assigner, this.idleTimeoutMs, this.ingestionTime, this.alignment);
  }

  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (!(idleTimeoutMs > 0)) throw new Error(`withIdleness needs a timeout > 0 ms, got ${idleTimeoutMs}`);
    return new WatermarkStrategy<T>(this.generatorFactory, this.timestampAssigner, idleTimeoutMs, this.ingestionTime, this.alignment);
  }

  /**
   * Aligns the sources of `group` (FLIP-182): a source reader (or split) whose watermark is more
   * than `maxDriftMs` ahead of the group's lowest stops reading until the others catch up. Only
   * for strategies given to `fromSource`. Readers report every `updateIntervalMs` (default 1000).
   * @example
   * env.fromSource(source, "clicks", WatermarkStrategy.forMonotonousTimestamps<Click>()
   *   .withTimestampAssigner((c) => c.time).withWatermarkAlignment("inputs", 5_000));
   */
  withWatermarkAlignment(group: string, maxDriftMs: number, updateIntervalMs = 1000): WatermarkStrategy<T> {
    if (!GROUP_NAME.test(group)) throw new Error(`withWatermarkAlignment(${JSON.stringify(group)}): name the group with 1 to 64 letters, digits, '-' and '_'`);
    if (!(maxDriftMs >= 0) || !Number.isFinite(maxDriftMs)) throw new Error(`withWatermarkAlignment: maxDriftMs must be a finite number >= 0, got ${maxDriftMs}`);
    if (!(updateIntervalMs > 0) || !Number.isFinite(updateIntervalMs)) throw new Error(`withWatermarkAlignment: updateIntervalMs must be > 0, got ${updateIntervalMs}`);
    return new WatermarkStrategy<T>(this.generatorFactory, this.timestampAssigner, this.idleTimeoutMs, this.ingestionTime, { group, maxDriftMs, updateIntervalMs });
  }

  /** The generator for one subtask, wrapped for idleness if asked. */
  createGenerator(ctx: WatermarkGeneratorContext): WatermarkGenerator<T> {
    const generator = this.generatorFactory(ctx);
    return this.idleTimeoutMs === undefined ? generator : new WatermarksWithIdleness(generator, this.idleTimeoutMs, () => ctx.now());
  }
}
