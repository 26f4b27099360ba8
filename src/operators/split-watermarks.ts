// The event time of a source reader with several splits (Flink's per-split SourceOutput): each
// split has a watermark generator of its own, and the reader's watermark is the minimum over the
// splits that count. Pure; it never goes back.
//  - A split counts until it is released (finished). An idle split (no records for the strategy's
//    idleness timeout) is left out of the minimum; the reader is idle when every split that counts is.
//  - Records collected without a split belong to the reader's own split (""), which counts once it
//    had a record, or while the reader has no other split (so a reader that never names splits
//    behaves as one stream, and one that does is not held back by the unused "").
// `version` changes whenever a split's watermark or idleness does, so a watcher (alignment) can
// tell in one comparison, per poll, that something moved.

import type { WatermarkGenerator, WatermarkOutput } from "../core/watermark-strategy.ts";
import type { StreamStatusValue } from "../messages/schema.ts";

/** What the reader as a whole now says, when it changed. */
export interface ReaderProgress {
  watermark?: number;
  status?: StreamStatusValue;
}

const NOTHING: ReaderProgress = Object.freeze({});

/** One split's generator and where it stands; it is its generator's WatermarkOutput. */
export class SplitWatermark<T> implements WatermarkOutput {
  watermark = -Infinity;
  idle = false;
  hadRecord = false;
  released = false;

  constructor(
    readonly id: string,
    readonly generator: WatermarkGenerator<T>,
    private readonly owner: SplitWatermarks<T>,
  ) {}

  emitWatermark(timestamp: number): void {
    if (timestamp <= this.watermark) return;
    this.watermark = timestamp;
    this.owner.version += 1;
  }

  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.owner.version += 1;
  }

  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.owner.version += 1;
  }
}

export class SplitWatermarks<T> {
  /** Changes with every split watermark or idleness change. */
  version = 0;
  /** The reader's own split, for records collected without one. */
  readonly own: SplitWatermark<T>;
  private readonly named = new Map<string, SplitWatermark<T>>();
  private combined = -Infinity;
  private status: StreamStatusValue = "active";
  private combinedAt = -1;

  constructor(private readonly createGenerator: () => WatermarkGenerator<T>) {
    this.own = new SplitWatermark("", createGenerator(), this);
  }

  get currentWatermark(): number {
    return this.combined;
  }

  get currentStatus(): StreamStatusValue {
    return this.status;
  }

  /** The split `id` (created at its first use); "" is the reader's own. */
  split(id: string): SplitWatermark<T> {
    if (id === "") return this.own;
    let split = this.named.get(id);
    if (split === undefined) {
      split = new SplitWatermark(id, this.createGenerator(), this);
      this.named.set(id, split);
      this.version += 1;
    }
    return split;
  }

  /** The split is finished: it no longer counts. Using its id again starts a new split. */
  release(id: string): ReaderProgress {
    const split = this.named.get(id);
    if (split === undefined) return NOTHING;
    split.released = true;
    this.named.delete(id);
    this.version += 1;
    return this.combine();
  }

  /** The splits the reader named (not released). */
  namedSplits(): SplitWatermark<T>[] {
    return [...this.named.values()];
  }

  /** The highest watermark of a named split (-∞ with none), without building a list. */
  highestSplitWatermark(): number {
    let max = -Infinity;
    for (const split of this.named.values()) if (split.watermark > max) max = split.watermark;
    return max;
  }

  /** A record of `split` with event time `timestamp` (after it went downstream). */
  onEvent(split: SplitWatermark<T>, record: T, timestamp: number): ReaderProgress {
    split.hadRecord = true;
    split.generator.onEvent(record, timestamp, split);
    return this.version === this.combinedAt ? NOTHING : this.combine();
  }

  /** Every split's periodic emit (the auto-watermark interval), then what the reader says. */
  onPeriodicEmit(): ReaderProgress {
    this.own.generator.onPeriodicEmit(this.own);
    for (const split of this.named.values()) split.generator.onPeriodicEmit(split);
    return this.version === this.combinedAt ? NOTHING : this.combine();
  }

  private ownCounts(): boolean {
    return this.own.hadRecord || this.named.size === 0;
  }

  private combine(): ReaderProgress {
    this.combinedAt = this.version;
    let min = Infinity;
    let active = 0;
    if (this.ownCounts() && !this.own.idle) {
      active += 1;
      min = this.own.watermark;
    }
    for (const split of this.named.values()) {
      if (split.idle) continue;
      active += 1;
      if (split.watermark < min) min = split.watermark;
    }
    if (active === 0) {
      if (this.status === "idle") return NOTHING;
      this.status = "idle";
      return { status: "idle" };
    }
    const wasIdle = this.status === "idle";
    this.status = "active";
    const advanced = min > this.combined;
    if (advanced) this.combined = min;
    if (wasIdle) return advanced ? { status: "active", watermark: min } : { status: "active" };
    return advanced ? { watermark: min } : NOTHING;
  }
}
