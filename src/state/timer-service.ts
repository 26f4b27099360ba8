// Timers per key, in two domains: processing time (driven by the injected clock) and event time
// (driven by watermarks). At most one timer per (key, timestamp) per domain, fired in timestamp
// order from a binary heap. Timers are part of an operator's snapshot.

import type { Clock } from "../core/clock.ts";
import type { KeyGroupRange } from "../core/key-groups.ts";
import type { TimeDomain, TimerService } from "../core/timer-service.ts";
import { normalizeKey } from "./state-table.ts";
import { timersByKeyGroup, timersInRange, type KeyGroupTimersSnapshot } from "./key-group-snapshots.ts";

export type { TimeDomain, TimerService } from "../core/timer-service.ts";

interface Timer {
  timestamp: number;
  key: unknown;
  id: string;
}

/** A snapshot of the timers of one operator: (key, timestamp) pairs per domain. */
export interface TimersSnapshot {
  processing: { key: unknown; timestamp: number }[];
  event: { key: unknown; timestamp: number }[];
}

/** Identifies a (key, timestamp) pair; the type is part of it, so keys 1 and "1" stay apart as they do in keyed state. */
function timerId(key: unknown, timestamp: number): string {
  const normalized = normalizeKey(key);
  return `${timestamp}|${typeof normalized}|${String(normalized)}`;
}

/** A set of timers ordered by timestamp (a binary heap with lazy deletion). */
class TimerQueue {
  private readonly heap: Timer[] = [];
  private readonly registered = new Map<string, Timer>();

  get size(): number {
    return this.registered.size;
  }

  get nextTimestamp(): number {
    while (this.heap.length > 0 && !this.registered.has(this.heap[0].id)) this.pop();
    return this.heap.length > 0 ? this.heap[0].timestamp : Infinity;
  }

  add(key: unknown, timestamp: number): boolean {
    const id = timerId(key, timestamp);
    if (this.registered.has(id)) return false;
    const timer = { timestamp, key, id };
    this.registered.set(id, timer);
    this.push(timer);
    return true;
  }

  delete(key: unknown, timestamp: number): void {
    this.registered.delete(timerId(key, timestamp));
  }

  /** Removes and returns the earliest timer at or before `time`, if any. */
  pollDue(time: number): Timer | undefined {
    while (this.heap.length > 0 && this.heap[0].timestamp <= time) {
      const timer = this.pop();
      if (this.registered.delete(timer.id)) return timer;
    }
    return undefined;
  }

  entries(): { key: unknown; timestamp: number }[] {
    return [...this.registered.values()].map(({ key, timestamp }) => ({ key, timestamp })).sort((a, b) => a.timestamp - b.timestamp);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].timestamp <= timer.timestamp) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): Timer {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right].timestamp < heap[left].timestamp ? right : left;
        if (heap[child].timestamp >= last.timestamp) break;
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
    for (let timer = this.processing.pollDue(now); timer; timer = this.processing.pollDue(now)) {
      this.fire(timer.timestamp, timer.key, "processing-time");
    }
    this.reschedule();
  }

  /** Moves event time to `watermark`, firing every event-time timer at or before it, in order. */
  advanceWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    for (let timer = this.event.pollDue(watermark); timer; timer = this.event.pollDue(watermark)) {
      this.fire(timer.timestamp, timer.key, "event-time");
    }
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
