// Where a user function's results go, and what it may ask about where it runs: the contracts
// user functions and operators share.

export interface Collector<T> {
  collect(record: T): void;
}

/** Where an operator's results go: the main output, side outputs by tag, and watermarks. */
export interface Output<T = unknown> extends Collector<T> {
  collectSide(tag: string, record: unknown): void;
  emitWatermark(timestamp: number): void;
}

/** What a user function may ask about where it runs (Flink's RuntimeContext). */
export interface RuntimeContext {
  readonly jobId: string;
  readonly taskName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly attempt: number;
}
