// Processing-time timers per key: at most one per (key, timestamp), fired in timestamp order from
// a binary heap, driven by the injected clock. Event-time timers join this service with watermarks.

import type { Clock } from "../runtime/clock.ts";
import { normalizeKey } from "./keyed-state-backend.ts";

export interface TimerService {
  currentProcessingTime(): number;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

interface Timer {
  timestamp: number;
  key: unknown;
  id: string;
}

/** Identifies a (key, timestamp) pair; the type is part of it, so keys 1 and "1" stay apart as they do in keyed state. */
function timerId(key: unknown, timestamp: number): string {
  const normalized = normalizeKey(key);
  return `${timestamp}|${typeof normalized}|${String(normalized)}`;
}

export class ProcessingTimeService {
  private readonly heap: Timer[] = [];
  private readonly registered = new Set<string>();
  private scheduledAt = Infinity;
  private handle: unknown;
  private stopped = false;

  /** `fire` runs each due timer with its key; `currentKey` reads the key being processed. */
  constructor(
    private readonly clock: Clock,
    private readonly currentKey: () => unknown,
    private readonly fire: (timestamp: number, key: unknown) => void,
  ) {}

  /** The TimerService a user function sees: timers apply to the current key. */
  readonly forUser: TimerService = {
    currentProcessingTime: () => this.clock.now(),
    registerProcessingTimeTimer: (timestamp) => this.register(this.currentKey(), timestamp),
    deleteProcessingTimeTimer: (timestamp) => this.delete(this.currentKey(), timestamp),
  };

  register(key: unknown, timestamp: number): void {
    const id = timerId(key, timestamp);
    if (this.registered.has(id)) return;
    this.registered.add(id);
    this.push({ timestamp, key, id });
    this.reschedule();
  }

  delete(key: unknown, timestamp: number): void {
    // Lazy deletion: the heap entry stays and is skipped when it comes up.
    this.registered.delete(timerId(key, timestamp));
  }

  get size(): number {
    return this.registered.size;
  }

  /** Fires every timer due at `now`, in timestamp order. */
  advance(now: number): void {
    while (this.heap.length > 0 && this.heap[0].timestamp <= now) {
      const timer = this.pop();
      if (!this.registered.delete(timer.id)) continue;
      this.fire(timer.timestamp, timer.key);
    }
    this.reschedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
  }

  private reschedule(): void {
    if (this.stopped || this.heap.length === 0) return;
    const next = this.heap[0].timestamp;
    if (next >= this.scheduledAt) return;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.scheduledAt = next;
    this.handle = this.clock.setTimeout(() => {
      this.scheduledAt = Infinity;
      this.handle = undefined;
      this.advance(this.clock.now());
    }, Math.max(0, next - this.clock.now()));
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
