// Sources as FLIP-27 has them: pull-based readers, and optionally a split enumerator. The source
// task calls pollNext in a tight loop, so records never wait on a promise one by one. A reader's
// position is a list of splits (plain data): checkpoints store it, and a restore hands each new
// reader its share. A source with an enumerator hands out splits at run time: the enumerator runs
// beside the job master and assigns splits to readers that ask (split-enumerator.ts in actors).

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { Collector } from "./operator.ts";

/** "more": call again; "nothing": wait for available(); "end": this reader is done. */
export type InputStatus = "more" | "nothing" | "end";

export interface SourceReaderContext {
  subtaskIndex: number;
  parallelism: number;
  clock: Clock;
  /** The splits to resume from (a checkpoint's, redistributed among the new readers); absent on a fresh start. */
  restoredSplits?: unknown[];
  /** The job and the source's name (as given to fromSource), for metric labels; absent in contexts built by hand, e.g. tests. */
  jobId?: string;
  sourceName?: string;
  /** The process's counters (absent in contexts built by hand). */
  metrics?: MetricRegistry;
  /** The subtask's logger, for what a reader says once (not per record); absent in contexts built by hand. */
  log?: Logger;
  /**
   * Sources with an enumerator: asks it for splits. It answers with `addSplits`, with
   * `notifyNoMoreSplits`, or (a watched directory with nothing new) later.
   */
  sendSplitRequest?(): void;
  /** Sources with an enumerator: sends `event` (plain data) to its `handleSourceEvent`. */
  sendSourceEvent?(event: unknown): void;
}

/**
 * Where a reader's records go: the main output, and side outputs by tag id (dead letters). A
 * reader with several splits says which split a record is of by collecting it on
 * `forSplit(id)`: with a watermark strategy given to fromSource, each split then has watermarks
 * of its own and the reader's is their minimum (an idle split left out). Without a strategy,
 * `forSplit` is the output itself.
 */
export interface SourceOutput<T> extends Collector<T> {
  collectSide(tag: string, record: unknown): void;
  /** The output for the records of split `splitId` (Flink's createOutputForSplit); keep it, or call again: same object. */
  forSplit(splitId: string): SourceOutput<T>;
  /** Split `splitId` is finished: its watermark no longer holds the reader's back (Flink's releaseOutputForSplit). */
  releaseSplit(splitId: string): void;
}

export interface SourceReader<T> {
  open?(): void | Promise<void>;
  /** Emits zero or more records (usually one) and says whether more are ready. */
  pollNext(output: SourceOutput<T>): InputStatus;
  /**
   * Optional, for readers that can emit many records cheaply: what `max` calls of pollNext would
   * do, in one call (at most `max` records; stopping early at "nothing" or "end"). The source loop
   * then calls it instead of pollNext, with `max` bounding how long a barrier, an alignment pause
   * or a cancellation waits; snapshotState is still only asked between two calls.
   */
  pollBatch?(output: SourceOutput<T>, max: number): InputStatus;
  /** After "nothing": resolves when pollNext may have more. */
  available?(): Promise<void>;
  /**
   * The reader's position as plain data, one element per split it still has, taken at a barrier
   * (between two pollNext calls). Without it, a restored job replays this source from its start.
   */
  snapshotState?(checkpointId: number): unknown[];
  /** Splits assigned by the enumerator (between two pollNext calls; possibly before open). */
  addSplits?(splits: unknown[]): void;
  /** The enumerator has no more splits for this reader: once its own are read, it may end. */
  notifyNoMoreSplits?(): void;
  /** An event the enumerator sent with `sendEventToReader`. */
  handleSourceEvent?(event: unknown): void;
  /**
   * Watermark alignment (FLIP-217): stop reading the splits `pause`, read `resume` again (split ids
   * as given to `output.forSplit`). Between two pollNext calls. A reader without it is paused as
   * a whole; one with it is paused as a whole only when its own watermark is too far ahead.
   */
  pauseOrResumeSplits?(pause: readonly string[], resume: readonly string[]): void;
  close?(): void | Promise<void>;
}

/** What a split enumerator may do: assign splits and talk to the readers of its source. */
export interface SplitEnumeratorContext {
  /** How many readers the source runs with. */
  readonly parallelism: number;
  readonly clock: Clock;
  /** The subtasks whose readers have registered (they are running), in order. */
  registeredReaders(): number[];
  /** Hands `splits` to the reader of `subtaskIndex` (its `addSplits`). */
  assignSplits(subtaskIndex: number, splits: unknown[]): void;
  /** Tells the reader of `subtaskIndex` that it gets no more splits. */
  signalNoMoreSplits(subtaskIndex: number): void;
  /** Sends `event` (plain data) to the reader of `subtaskIndex` (its `handleSourceEvent`). */
  sendEventToReader(subtaskIndex: number, event: unknown): void;
  /**
   * Runs `work` (I/O: listing a directory, asking a broker) outside the enumerator, then
   * `handle(result)` inside it, where it may assign splits; with `periodMs`, again and again.
   * A failing `work` fails the job.
   */
  callAsync<R>(work: () => Promise<R>, handle: (result: R) => void, periodMs?: number): void;
}

/**
 * Decides which reader reads which split (Flink's SplitEnumerator). One runs per source and
 * execution of the job, in the job manager; its methods are called one at a time, never concurrently.
 */
export interface SplitEnumerator {
  /** Called once, before any other method. */
  start(): void;
  /** The reader of `subtaskIndex` asks for splits. */
  handleSplitRequest(subtaskIndex: number): void;
  /** The reader of `subtaskIndex` has started (again, after a restart). */
  addReader(subtaskIndex: number): void;
  /**
   * Splits assigned to the reader of `subtaskIndex` since the last completed checkpoint, given
   * back because that reader failed and restarts from the checkpoint: assign them again.
   */
  addSplitsBack(splits: unknown[], subtaskIndex: number): void;
  /** An event a reader sent with `sendSourceEvent`. */
  handleSourceEvent?(subtaskIndex: number, event: unknown): void;
  /**
   * The enumerator's state as plain data, taken when checkpoint `checkpointId` is triggered
   * (before any reader sees its barrier); restored with `createEnumerator(ctx, state)`.
   */
  snapshotState(checkpointId: number): unknown;
  close?(): void;
}

export interface Source<T> {
  /** Non-parallel sources always run with parallelism 1 (like fromElements in Flink). */
  readonly parallel: boolean;
  createReader(ctx: SourceReaderContext): SourceReader<T>;
  /**
   * Sources whose splits are handed out at run time: the enumerator, fresh or from the state
   * of the checkpoint or savepoint restored. Without it, each reader finds its own splits.
   */
  createEnumerator?(ctx: SplitEnumeratorContext, restoredState?: unknown): SplitEnumerator;
}

/** Emits a fixed list of values, in order, from one subtask. */
export function collectionSource<T>(values: readonly T[]): Source<T> {
  return {
    parallel: false,
    createReader: ({ restoredSplits }) => {
      // One split, the next index; restored with none when the reader had finished.
      const split = restoredSplits === undefined ? { next: 0 } : (restoredSplits[0] as { next: number } | undefined);
      let next = split?.next ?? values.length;
      return {
        pollNext(output) {
          if (next >= values.length) return "end";
          output.collect(values[next++]);
          return next < values.length ? "more" : "end";
        },
        pollBatch(output, max) {
          const stop = Math.min(values.length, next + max);
          while (next < stop) output.collect(values[next++]);
          return next < values.length ? "more" : "end";
        },
        snapshotState: () => (next < values.length ? [{ next }] : []),
      };
    },
  };
}

/** Emits the numbers from..to (inclusive), split into contiguous ranges across subtasks. */
export function sequenceSource(from: number, to: number): Source<number> {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
    throw new Error(`fromSequence(${from}, ${to}): expects integers with from <= to`);
  }
  return {
    parallel: true,
    createReader: ({ subtaskIndex, parallelism, restoredSplits }) => {
      const total = to - from + 1;
      // Splits are [next, end) ranges: a fresh reader has its contiguous share, a restored one what it was given.
      const splits = (restoredSplits as RangeSplit[] | undefined)?.map((s) => ({ ...s })) ?? [
        { next: from + Math.floor((total * subtaskIndex) / parallelism), end: from + Math.floor((total * (subtaskIndex + 1)) / parallelism) },
      ];
      let current = 0;
      return {
        pollNext(output) {
          while (current < splits.length && splits[current].next >= splits[current].end) current += 1;
          if (current >= splits.length) return "end";
          const split = splits[current];
          output.collect(split.next++);
          return split.next < split.end || current + 1 < splits.length ? "more" : "end";
        },
        pollBatch(output, max) {
          while (current < splits.length && splits[current].next >= splits[current].end) current += 1;
          if (current >= splits.length) return "end";
          // One split per call: the batch ends at the split's end (the next call moves on).
          const split = splits[current];
          const stop = Math.min(split.end, split.next + max);
          let value = split.next;
          while (value < stop) output.collect(value++);
          // A throwing collect fails the task, so the position is only read after a whole batch.
          split.next = value;
          return split.next < split.end || current + 1 < splits.length ? "more" : "end";
        },
        snapshotState: () => splits.filter((s) => s.next < s.end).map((s) => ({ ...s })),
      };
    },
  };
}

interface RangeSplit {
  next: number;
  end: number;
}

export interface GeneratorOptions {
  /** Total number of records over all subtasks; unbounded when absent. */
  count?: number;
  /** Records per second over all subtasks; unlimited when absent. */
  ratePerSecond?: number;
}

interface StrideSplit {
  next: number;
  step: number;
}

/** Calls `generate(index)` for indices 0, 1, 2, …; subtask i takes i, i+p, i+2p, …, optionally rate-limited. */
export function generatorSource<T>(generate: (index: number) => T, options: GeneratorOptions = {}): Source<T> {
  const { count = Infinity, ratePerSecond } = options;
  if (ratePerSecond !== undefined && !(ratePerSecond > 0)) throw new Error(`generator ratePerSecond must be > 0, got ${ratePerSecond}`);
  return {
    parallel: true,
    createReader: ({ subtaskIndex, parallelism, clock, restoredSplits }) => {
      // Splits are arithmetic sequences {next, step}: a fresh reader takes subtaskIndex, +parallelism, …
      const splits = (restoredSplits as StrideSplit[] | undefined)?.map((s) => ({ next: s.next, step: s.step })) ?? [{ next: subtaskIndex, step: parallelism }];
      // Each split is 1/step of the indices, so it gets that share of the rate, whatever the parallelism now.
      const perSubtask = ratePerSecond === undefined ? Infinity : splits.reduce((sum, s) => sum + ratePerSecond / s.step, 0);
      return new GeneratorReader(generate, count, splits, perSubtask, clock);
    },
  };
}

/** A generator subtask's reader: its state in fields (not closure variables), since pollNext runs once per record. */
class GeneratorReader<T> implements SourceReader<T> {
  private emitted = 0;
  private startedAt = -1;

  constructor(
    private readonly generate: (index: number) => T,
    private readonly count: number,
    private readonly splits: StrideSplit[],
    /** Records per second for this subtask; Infinity when unlimited. */
    private readonly perSubtask: number,
    private readonly clock: Clock,
  ) {}

  pollNext(output: SourceOutput<T>): InputStatus {
    const splits = this.splits;
    const count = this.count;
    // Round robin over the splits still open (one split, the usual case, needs no modulo per record).
    const only = splits.length === 1 ? splits[0] : undefined;
    let split = only !== undefined && only.next < count ? only : undefined;
    for (let i = 0; only === undefined && i < splits.length && split === undefined; i++) {
      const candidate = splits[(this.emitted + i) % splits.length];
      if (candidate.next < count) split = candidate;
    }
    if (split === undefined) return "end";
    if (this.perSubtask !== Infinity) {
      const now = this.clock.now();
      if (this.startedAt < 0) this.startedAt = now;
      if (this.emitted >= Math.floor(((now - this.startedAt) * this.perSubtask) / 1000) + 1) return "nothing";
    }
    output.collect(this.generate(split.next));
    split.next += split.step;
    this.emitted += 1;
    return split.next < count || (splits.length > 1 && splits.some((s) => s.next < count)) ? "more" : "end";
  }

  pollBatch(output: SourceOutput<T>, max: number): InputStatus {
    const only = this.splits.length === 1 ? this.splits[0] : undefined;
    // Several splits (read round robin) or a rate limit: record by record, as pollNext.
    if (only === undefined || this.perSubtask !== Infinity) return this.pollEach(output, max);
    const { generate, count } = this;
    const step = only.step;
    let next = only.next;
    // Nothing per record but the bound: the records left in the split are known up front.
    const n = Math.min(max, Math.ceil((count - next) / step));
    for (let i = 0; i < n; i++) {
      output.collect(generate(next));
      next += step;
    }
    // A throwing collect fails the task, so the position is only read after a whole batch.
    only.next = next;
    if (n > 0) this.emitted += n;
    return next < count ? "more" : "end";
  }

  private pollEach(output: SourceOutput<T>, max: number): InputStatus {
    let status: InputStatus = "more";
    for (let i = 0; i < max && status === "more"; i++) status = this.pollNext(output);
    return status;
  }

  snapshotState(): unknown[] {
    return this.splits.filter((s) => s.next < this.count).map((s) => ({ ...s }));
  }

  available(): Promise<void> {
    const waitMs = Math.max(1, Math.ceil((this.emitted * 1000) / this.perSubtask - (this.clock.now() - this.startedAt)));
    return new Promise((resolve) => this.clock.setTimeout(resolve, waitMs));
  }
}
