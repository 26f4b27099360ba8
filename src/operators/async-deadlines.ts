// The timeouts of an async I/O operator's requests, on one clock timer instead of one per request
// (a timer per record was most of the operator's cost in the profile). Attempts start in time order
// and all get the same timeout, so their deadlines come in order: a FIFO whose oldest live entry
// arms the timer. Receives attempts as they start; calls `expired` for each live one past its deadline.

import type { Clock } from "../core/clock.ts";

export interface AttemptDeadlinesOptions<T> {
  clock: Clock;
  timeoutMs: number;
  /** False once the attempt has an outcome (completed, failed, or timed out): its deadline no longer matters. */
  isLive: (target: T, attempt: number) => boolean;
  expired: (target: T, attempt: number) => void;
  /** More live attempts than this never exist (the operator's capacity): above twice it, finished entries are dropped. */
  maxLive: number;
}

export class AttemptDeadlines<T> {
  private targets: T[] = [];
  private attempts: number[] = [];
  private deadlines: number[] = [];
  private head = 0;
  private timer: unknown = undefined;
  private closed = false;

  constructor(private readonly options: AttemptDeadlinesOptions<T>) {}

  /** An attempt started now. */
  add(target: T, attempt: number): void {
    const { clock, timeoutMs, maxLive } = this.options;
    if (this.targets.length - this.head > 2 * maxLive + 64) this.dropFinished();
    this.targets.push(target);
    this.attempts.push(attempt);
    this.deadlines.push(clock.now() + timeoutMs);
    if (this.timer === undefined && !this.closed) this.timer = clock.setTimeout(() => this.fire(), timeoutMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.closed) return;
    const { clock, isLive, expired } = this.options;
    const now = clock.now();
    while (this.head < this.targets.length) {
      const i = this.head;
      const live = isLive(this.targets[i], this.attempts[i]);
      if (live && this.deadlines[i] > now) break;
      this.head++;
      if (live) expired(this.targets[i], this.attempts[i]);
      if (this.closed) return;
    }
    this.compact();
    if (this.head < this.targets.length) this.timer = clock.setTimeout(() => this.fire(), this.deadlines[this.head] - now);
  }

  /** Keeps only the live entries (in order): finished ones pile up behind a slow one otherwise. */
  private dropFinished(): void {
    const { isLive } = this.options;
    const targets: T[] = [];
    const attempts: number[] = [];
    const deadlines: number[] = [];
    for (let i = this.head; i < this.targets.length; i++) {
      if (!isLive(this.targets[i], this.attempts[i])) continue;
      targets.push(this.targets[i]);
      attempts.push(this.attempts[i]);
      deadlines.push(this.deadlines[i]);
    }
    this.targets = targets;
    this.attempts = attempts;
    this.deadlines = deadlines;
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.targets.length) {
      this.targets.length = 0;
      this.attempts.length = 0;
      this.deadlines.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.targets.length) {
      this.targets.splice(0, this.head);
      this.attempts.splice(0, this.head);
      this.deadlines.splice(0, this.head);
      this.head = 0;
    }
  }
}
