// Sources as pull-based readers (the shape FLIP-27 sources will take): the source task calls
// pollNext in a tight loop, so records never wait on a promise one by one.

import type { Clock } from "../runtime/clock.ts";
import type { Collector } from "./operator.ts";

/** "more": call again; "nothing": wait for available(); "end": this reader is done. */
export type InputStatus = "more" | "nothing" | "end";

export interface SourceReaderContext {
  subtaskIndex: number;
  parallelism: number;
  clock: Clock;
}

export interface SourceReader<T> {
  open?(): void | Promise<void>;
  /** Emits zero or more records (usually one) and says whether more are ready. */
  pollNext(output: Collector<T>): InputStatus;
  /** After "nothing": resolves when pollNext may have more. */
  available?(): Promise<void>;
  close?(): void | Promise<void>;
}

export interface Source<T> {
  /** Non-parallel sources always run with parallelism 1 (like fromElements in Flink). */
  readonly parallel: boolean;
  createReader(ctx: SourceReaderContext): SourceReader<T>;
}

/** Emits a fixed list of values, in order, from one subtask. */
export function collectionSource<T>(values: readonly T[]): Source<T> {
  return {
    parallel: false,
    createReader: () => {
      let next = 0;
      return {
        pollNext(output) {
          if (next >= values.length) return "end";
          output.collect(values[next++]);
          return next < values.length ? "more" : "end";
        },
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
    createReader: ({ subtaskIndex, parallelism }) => {
      const total = to - from + 1;
      let next = from + Math.floor((total * subtaskIndex) / parallelism);
      const end = from + Math.floor((total * (subtaskIndex + 1)) / parallelism);
      return {
        pollNext(output) {
          if (next >= end) return "end";
          output.collect(next++);
          return next < end ? "more" : "end";
        },
      };
    },
  };
}

export interface GeneratorOptions {
  /** Total number of records over all subtasks; unbounded when absent. */
  count?: number;
  /** Records per second over all subtasks; unlimited when absent. */
  ratePerSecond?: number;
}

/** Calls `generate(index)` for indices 0, 1, 2, …; subtask i takes i, i+p, i+2p, …, optionally rate-limited. */
export function generatorSource<T>(generate: (index: number) => T, options: GeneratorOptions = {}): Source<T> {
  const { count = Infinity, ratePerSecond } = options;
  if (ratePerSecond !== undefined && !(ratePerSecond > 0)) throw new Error(`generator ratePerSecond must be > 0, got ${ratePerSecond}`);
  return {
    parallel: true,
    createReader: ({ subtaskIndex, parallelism, clock }) => {
      let index = subtaskIndex;
      let emitted = 0;
      let startedAt = -1;
      const perSubtask = ratePerSecond === undefined ? Infinity : ratePerSecond / parallelism;
      const allowedAt = (now: number) => Math.floor(((now - startedAt) * perSubtask) / 1000) + 1;
      return {
        pollNext(output) {
          if (index >= count) return "end";
          if (perSubtask !== Infinity) {
            const now = clock.now();
            if (startedAt < 0) startedAt = now;
            if (emitted >= allowedAt(now)) return "nothing";
          }
          output.collect(generate(index));
          index += parallelism;
          emitted += 1;
          return index < count ? "more" : "end";
        },
        available() {
          const waitMs = Math.max(1, Math.ceil(((emitted + 1 - 1) * 1000) / perSubtask - (clock.now() - startedAt)));
          return new Promise((resolve) => clock.setTimeout(resolve, waitMs));
        },
      };
    },
  };
}
