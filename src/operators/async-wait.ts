// The async I/O operator (Flink's AsyncWaitOperator): hands each record to a function returning a
// promise, keeps at most `capacity` records in its queue, and emits results in order or as they
// complete (never across a watermark). Receives records and watermarks; sends results and
// watermarks. Timeouts (one timer for all, async-deadlines.ts) and retries run on the injected
// clock; a full queue blocks the subtask's input (isBlocked / wakeInput). Records not yet emitted
// are its checkpointed state, re-issued after a restore, so output stays exact across failover.

import { callable, closeFunction, openFunction, type AsyncFunction } from "../core/functions.ts";
import { ListStateDescriptor } from "../core/state-descriptors.ts";
import type { ListState } from "../core/keyed-state.ts";
import type { Counter } from "../observability/metrics.ts";
import { AttemptDeadlines } from "./async-deadlines.ts";
import { createAsyncResultQueue, type AsyncOutputMode, type AsyncQueueEntry, type AsyncResultQueue } from "./async-result-queue.ts";
import { BaseOperator, runtimeContextOf, type OperatorContext } from "./operator.ts";

/** Options of AsyncDataStream.orderedWait and unorderedWait. */
export interface AsyncWaitOptions<I, O> {
  /** How long one attempt may take (ms) before it counts as timed out. */
  timeoutMs: number;
  /** Records in the queue at most per subtask, in flight or waiting to be emitted (default 100). */
  capacity?: number;
  /** Attempts after the first when a request fails or times out (default 0). */
  retries?: number;
  /** The wait before the first retry (ms, default 100). */
  retryDelayMs?: number;
  /** Each further retry waits this many times longer (default 1: a fixed delay). */
  retryBackoff?: number;
  /**
   * Called when a record's last attempt timed out: the records to emit in its place (`[]` for
   * none). Without it, a timeout fails the job with an AsyncTimeoutError naming the operator.
   */
  onTimeout?: (record: I) => readonly O[];
}

/** The options with their defaults, checked. */
export interface AsyncWaitSettings<I, O> {
  readonly mode: AsyncOutputMode;
  readonly timeoutMs: number;
  readonly capacity: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly retryBackoff: number;
  readonly onTimeout?: (record: I) => readonly O[];
}

/** A record's last attempt timed out and the operator has no onTimeout handler. */
export class AsyncTimeoutError extends Error {
  constructor(operator: string, timeoutMs: number, attempts: number) {
    super(`${operator}: an async request timed out after ${timeoutMs} ms (${attempts === 1 ? "1 attempt" : `${attempts} attempts`}); raise timeoutMs or retries, or give an onTimeout handler`);
    this.name = "AsyncTimeoutError";
  }
}

/** A record's last attempt failed (its promise rejected or the function threw). */
export class AsyncRequestError extends Error {
  constructor(operator: string, attempts: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${operator}: an async request failed (${attempts === 1 ? "1 attempt" : `${attempts} attempts`}): ${reason}`, { cause });
    this.name = "AsyncRequestError";
  }
}

/** Stored per record in the operator's snapshot: the record and its event time (null for none). */
type StoredRecord = [record: unknown, timestamp: number | null];

const STATE_NAME = "async-wait-in-flight";

class AsyncRequest implements AsyncQueueEntry {
  results: readonly unknown[] | undefined = undefined;
  /** Attempts started so far. */
  attempts = 0;
  /** The attempt whose outcome counts (0 while none does: timed out, or waiting to retry). */
  live = 0;
  /** The retry's delay, while one is waited for. */
  retryTimer: unknown = undefined;
  constructor(
    readonly record: unknown,
    readonly timestamp: number | undefined,
  ) {}
}

type Waiting = { readonly record: unknown; readonly timestamp: number | undefined } | { readonly watermark: number };

export class AsyncWaitOperator<I, O> extends BaseOperator {
  private invoke!: (value: I) => PromiseLike<O | readonly O[]>;
  private queue!: AsyncResultQueue;
  private deadlines!: AttemptDeadlines<AsyncRequest>;
  private state!: ListState<StoredRecord>;
  /** What arrived while the queue was full (at most the rest of one frame), in order; not yet handed to the function. */
  private waiting: Waiting[] = [];
  private waitingHead = 0;
  /** Records restored from a checkpoint, re-issued at start(). */
  private restored: StoredRecord[] = [];
  private closed = false;
  /** Resolves finish() once nothing is held. */
  private drained?: () => void;
  private retries?: Counter;
  private timeouts?: Counter;

  constructor(
    readonly userFunction: AsyncFunction<I, O>,
    private readonly settings: AsyncWaitSettings<I, O>,
    /** The operator's name as the job graph has it (for error messages). */
    private readonly name: () => string,
  ) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.invoke = callable(this.userFunction, "asyncInvoke");
    this.queue = createAsyncResultQueue(this.settings.mode, {
      emitResults: (entry) => this.emitResults(entry),
      emitWatermark: (timestamp) => this.output.emitWatermark(timestamp),
    });
    this.deadlines = new AttemptDeadlines<AsyncRequest>({
      clock: ctx.clock,
      timeoutMs: this.settings.timeoutMs,
      maxLive: this.settings.capacity,
      isLive: (request, attempt) => request.live === attempt,
      expired: (request, attempt) => this.timedOut(request, attempt),
    });
    const labels = { job: ctx.jobId, task: ctx.taskName, subtask: String(ctx.subtaskIndex) };
    this.retries = ctx.metrics?.counter("weir_async_retries_total", labels);
    this.timeouts = ctx.metrics?.counter("weir_async_timeouts_total", labels);
    this.state = ctx.operatorState.getListState(new ListStateDescriptor<StoredRecord>(STATE_NAME));
    this.restored = this.state.get().slice();
    this.state.clear();
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }

  /** Re-issues the records a restored checkpoint held, before any new input. */
  start(): void {
    const restored = this.restored;
    this.restored = [];
    for (const [record, timestamp] of restored) this.accept(record, timestamp ?? undefined);
  }

  process(record: unknown): void {
    this.accept(record, this.ctx.timestamp.value);
  }

  override onWatermark(timestamp: number): void {
    if (this.waitingHead < this.waiting.length) this.waiting.push({ watermark: timestamp });
    else this.queue.addWatermark(timestamp);
  }

  isBlocked(): boolean {
    return this.waitingHead < this.waiting.length || this.queue.size >= this.settings.capacity;
  }

  /** Records held (in flight, waiting to be emitted or to be sent): what the next snapshot would store. */
  get held(): number {
    let waiting = 0;
    for (let i = this.waitingHead; i < this.waiting.length; i++) if (!("watermark" in this.waiting[i])) waiting++;
    return this.queue.size + waiting + this.restored.length;
  }

  snapshotState(): void {
    const stored: StoredRecord[] = this.restored.slice();
    for (const entry of this.queue.entries()) stored.push([entry.record, entry.timestamp ?? null]);
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const element = this.waiting[i];
      if (!("watermark" in element)) stored.push([element.record, element.timestamp ?? null]);
    }
    this.state.update(stored);
  }

  /** The end of input waits for every request to complete and its results to leave. */
  override finish(): void | Promise<void> {
    if (this.held === 0) return;
    return new Promise<void>((resolve) => (this.drained = resolve));
  }

  override close(): Promise<void> {
    this.closed = true;
    this.deadlines.close();
    for (const entry of this.queue.entries()) this.ctx.clock.clearTimeout((entry as AsyncRequest).retryTimer);
    this.drained?.();
    return closeFunction(this.userFunction);
  }

  // ------------------------------------------------------------------ requests

  private accept(record: unknown, timestamp: number | undefined): void {
    if (this.waitingHead < this.waiting.length || this.queue.size >= this.settings.capacity) this.waiting.push({ record, timestamp });
    else this.admit(record, timestamp);
  }

  private admit(record: unknown, timestamp: number | undefined): void {
    const request = new AsyncRequest(record, timestamp);
    this.queue.add(request);
    this.send(request);
  }

  private send(request: AsyncRequest): void {
    const attempt = ++request.attempts;
    request.live = attempt;
    let pending: PromiseLike<O | readonly O[]>;
    try {
      pending = this.invoke(request.record as I);
    } catch (error) {
      this.failed(request, attempt, error);
      return;
    }
    if (typeof pending?.then !== "function") {
      this.ctx.fail(new Error(`${this.describe()}: the async function returned ${pending === null ? "null" : typeof pending}, not a promise: make it async, or return a promise`));
      return;
    }
    this.deadlines.add(request, attempt);
    pending.then(
      (result) => this.succeeded(request, attempt, result),
      (error: unknown) => this.failed(request, attempt, error),
    );
  }

  private succeeded(request: AsyncRequest, attempt: number, result: O | readonly O[]): void {
    if (this.closed || request.live !== attempt) return;
    request.live = 0;
    this.guarded(() => this.complete(request, Array.isArray(result) ? (result as readonly O[]) : [result]));
  }

  private failed(request: AsyncRequest, attempt: number, error: unknown): void {
    if (this.closed || request.live !== attempt) return;
    request.live = 0;
    if (request.attempts <= this.settings.retries) this.retryLater(request);
    else this.ctx.fail(new AsyncRequestError(this.describe(), request.attempts, error));
  }

  private timedOut(request: AsyncRequest, attempt: number): void {
    if (this.closed || request.live !== attempt) return;
    // A late result of this attempt no longer counts.
    request.live = 0;
    const { retries, onTimeout, timeoutMs } = this.settings;
    if (request.attempts <= retries) {
      this.retryLater(request);
      return;
    }
    this.timeouts?.inc();
    if (onTimeout) this.guarded(() => this.complete(request, onTimeout(request.record as I)));
    else this.ctx.fail(new AsyncTimeoutError(this.describe(), timeoutMs, request.attempts));
  }

  private retryLater(request: AsyncRequest): void {
    this.retries?.inc();
    const { retryDelayMs, retryBackoff } = this.settings;
    const delay = retryDelayMs * retryBackoff ** (request.attempts - 1);
    request.retryTimer = this.ctx.clock.setTimeout(() => {
      request.retryTimer = undefined;
      if (!this.closed) this.guarded(() => this.send(request));
    }, delay);
  }

  // ------------------------------------------------------------------ results

  /** Hands the results to the queue (which emits what may leave), refills the queue, and wakes the input. */
  private complete(request: AsyncRequest, results: readonly unknown[]): void {
    this.queue.complete(request, results);
    this.refill();
    if (this.drained !== undefined && this.held === 0) this.drained();
    this.ctx.wakeInput();
  }

  /** Moves what waited for room into the queue, in order, while there is room. */
  private refill(): void {
    const waiting = this.waiting;
    const capacity = this.settings.capacity;
    while (this.waitingHead < waiting.length && this.queue.size < capacity) {
      const element = waiting[this.waitingHead++];
      if ("watermark" in element) this.queue.addWatermark(element.watermark);
      else this.admit(element.record, element.timestamp);
    }
    if (this.waitingHead === waiting.length && this.waitingHead > 0) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }

  private emitResults(entry: AsyncQueueEntry): void {
    const current = this.ctx.timestamp;
    const previous = current.value;
    current.value = entry.timestamp;
    const results = entry.results!;
    for (let i = 0; i < results.length; i++) this.output.collect(results[i]);
    current.value = previous;
  }

  private describe(): string {
    return `${this.name()} (${this.ctx.taskName}, subtask ${this.ctx.subtaskIndex})`;
  }
}
