// Timers per key, in two domains: processing time (driven by the injected clock) and event time
// (driven by watermarks). At most one timer per (key, timestamp) per domain, fired in timestamp
// order from a binary heap. Timers are part of an operator's snapshot.

import type { Clock } from "../core/clock.ts";
import type { KeyGroupRange } from "../core/key-groups.ts";
import type { TimeDomain, TimerService } from "../core/timer-service.ts";
import { normalizeKey } from "./state-table.ts";
import { timersByKeyGroup, timersInRange, type KeyGroupTimersSnapshot } from "./key-group-snapshots.ts";

export type { TimeDomain, TimerService } from "../core/timer-service.ts";

/** A snapshot of the timers of one operator: (key, timestamp) pairs per domain. */
export interface TimersSnapshot {
  processing: { key: unknown; timestamp: number }[];
  event: { key: unknown; timestamp: number }[];
}

/**
 * A set of timers ordered by timestamp: per timestamp a bucket of keys (normalized key → key, in
 * registration order, so keys 1 and "1" stay apart as they do in keyed state), and a binary heap
 * of the timestamps that have a bucket. Most operators register many keys at few timestamps
 * (window ends), so a timer costs a map entry and no id string or heap entry of its own.
 */
class TimerQueue {
  private readonly buckets = new Map<number, Map<unknown, unknown>>();
  /** The timestamps of `buckets`, each once. */
  private readonly times: number[] = [];
  private count = 0;
  /** The bucket being fired (already out of `buckets`): its keys not yet fired can still be deleted. */
  private firing: Map<unknown, unknown> | undefined;
  private firingTime = Number.NaN;

  get size(): number {
    return this.count;
  }

  get nextTimestamp(): number {
    const times = this.times;
    while (times.length > 0) {
      const time = times[0];
      if (this.buckets.get(time)!.size > 0) return time;
      // Emptied by deletes: the timestamp goes.
      this.buckets.delete(time);
      this.popTime();
    }
    return Infinity;
  }

  add(key: unknown, timestamp: number): boolean {
    const normalized = normalizeKey(key);
    if (timestamp === this.firingTime && this.firing!.has(normalized)) return false;
    let bucket = this.buckets.get(timestamp);
    if (bucket === undefined) {
      bucket = new Map();
      this.buckets.set(timestamp, bucket);
      this.pushTime(timestamp);
    } else if (bucket.has(normalized)) return false;
    bucket.set(normalized, key);
    this.count += 1;
    return true;
  }

  delete(key: unknown, timestamp: number): void {
    const normalized = normalizeKey(key);
    if (this.buckets.get(timestamp)?.delete(normalized)) this.count -= 1;
    else if (timestamp === this.firingTime && this.firing!.delete(normalized)) this.count -= 1;
  }

  /** Fires every timer at or before `time`, in timestamp order (at one timestamp, in registration order). */
  fireDue(time: number, fire: (timestamp: number, key: unknown) => void): void {
    const times = this.times;
    while (times.length > 0 && times[0] <= time) {
      const timestamp = this.popTime();
      const bucket = this.buckets.get(timestamp)!;
      // Detached: a key that fired and registers the same timestamp again gets a new bucket, which fires next.
      this.buckets.delete(timestamp);
      this.firing = bucket;
      this.firingTime = timestamp;
      try {
        for (const [normalized, key] of bucket) {
          bucket.delete(normalized);
          this.count -= 1;
          fire(timestamp, key);
        }
      } finally {
        this.firing = undefined;
        this.firingTime = Number.NaN;
      }
    }
  }

  entries(): { key: unknown; timestamp: number }[] {
    const entries: { key: unknown; timestamp: number }[] = [];
    for (const [timestamp, bucket] of this.buckets) for (const key of bucket.values()) entries.push({ key, timestamp });
    return entries.sort((a, b) => a.timestamp - b.timestamp);
  }

  private pushTime(time: number): void {
    const heap = this.times;
    let i = heap.length;
    heap.push(time);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= time) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = time;
  }

  private popTime(): number {
    const heap = this.times;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right] < heap[left] ? right : left;
        if (heap[child] >= last) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

export class KeyedTimerService {
  private readonly processing = new TimerQueue();
  private readonly event = new TimerQueue();
  private watermark = -Infinity;
  private scheduledAt = Infinity;
  private handle: unknown;
  private stopped = false;

  /** `fire` runs each due timer with its key and domain; `currentKey` reads the key being processed. */
  constructor(
    private readonly clock: Clock,
    private readonly currentKey: () => unknown,
    private readonly fire: (timestamp: number, key: unknown, domain: TimeDomain) => void,
  ) {}

  /** The TimerService a user function sees: timers apply to the current key. */
  readonly forUser: TimerService = {
    currentProcessingTime: () => this.clock.now(),
    currentWatermark: () => this.watermark,
    registerProcessingTimeTimer: (timestamp) => this.register(this.currentKey(), timestamp),
    deleteProcessingTimeTimer: (timestamp) => this.delete(this.currentKey(), timestamp),
    registerEventTimeTimer: (timestamp) => this.registerEventTime(this.currentKey(), timestamp),
    deleteEventTimeTimer: (timestamp) => this.deleteEventTime(this.currentKey(), timestamp),
  };

  private readonly fireProcessingTime = (timestamp: number, key: unknown): void => this.fire(timestamp, key, "processing-time");
  private readonly fireEventTime = (timestamp: number, key: unknown): void => this.fire(timestamp, key, "event-time");

  get currentWatermark(): number {
    return this.watermark;
  }

  /** Registers a processing-time timer. */
  register(key: unknown, timestamp: number): void {
    if (this.processing.add(key, timestamp)) this.reschedule();
  }

  delete(key: unknown, timestamp: number): void {
    // Lazy deletion: the heap entry stays and is skipped when it comes up.
    this.processing.delete(key, timestamp);
  }

  registerEventTime(key: unknown, timestamp: number): void {
    this.event.add(key, timestamp);
  }

  deleteEventTime(key: unknown, timestamp: number): void {
    this.event.delete(key, timestamp);
  }

  get size(): number {
    return this.processing.size + this.event.size;
  }

  get eventTimeTimers(): number {
    return this.event.size;
  }

  /** Fires every processing-time timer due at `now`, in timestamp order. */
  advance(now: number): void {
    this.processing.fireDue(now, this.fireProcessingTime);
    this.reschedule();
  }

  /** Moves event time to `watermark`, firing every event-time timer at or before it, in order. */
  advanceWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.event.fireDue(watermark, this.fireEventTime);
  }

  snapshot(): TimersSnapshot {
    return { processing: this.processing.entries(), event: this.event.entries() };
  }

  restore(snapshot: TimersSnapshot): void {
    for (const { key, timestamp } of snapshot.processing) this.register(key, timestamp);
    for (const { key, timestamp } of snapshot.event) this.registerEventTime(key, timestamp);
  }

  /** The timers split by the key group of their key, for a snapshot that can be rescaled. */
  snapshotKeyGroups(maxParallelism: number): KeyGroupTimersSnapshot[] {
    return timersByKeyGroup(this.snapshot(), maxParallelism);
  }

  /** Registers the timers of the key groups in `range`, from key-group snapshots taken at any parallelism. */
  restoreKeyGroups(snapshots: readonly KeyGroupTimersSnapshot[], range: KeyGroupRange): void {
    this.restore(timersInRange(snapshots, range));
  }

  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
  }

  private reschedule(): void {
    if (this.stopped) return;
    const next = this.processing.nextTimestamp;
    if (next === Infinity || next >= this.scheduledAt) return;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.scheduledAt = next;
    this.handle = this.clock.setTimeout(() => {
      this.scheduledAt = Infinity;
      this.handle = undefined;
      this.advance(this.clock.now());
    }, Math.max(0, next - this.clock.now()));
  }
}
