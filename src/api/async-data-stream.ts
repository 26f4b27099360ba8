// AsyncDataStream (Flink's): async I/O on a DataStream. Checks the options once, when the job is
// defined, and adds an AsyncWaitOperator per subtask; the operator does the rest at runtime.

import type { AsyncFunction } from "../core/functions.ts";
import { AsyncWaitOperator, type AsyncWaitOptions, type AsyncWaitSettings } from "../operators/async-wait.ts";
import type { AsyncOutputMode } from "../operators/async-result-queue.ts";
import type { DataStream, SingleOutputStreamOperator } from "./data-stream.ts";
import { subtaskCopies } from "./subtask-copies.ts";

export { AsyncRequestError, AsyncTimeoutError, type AsyncWaitOptions } from "../operators/async-wait.ts";

const DEFAULT_CAPACITY = 100;
const DEFAULT_RETRY_DELAY_MS = 100;

/**
 * Calls an async function per record (a lookup in a database or a service) with many requests in
 * flight per subtask. A full queue (`capacity`) backpressures the input; records not yet emitted
 * are part of each checkpoint and are requested again after a restore.
 * @example
 * const enriched = AsyncDataStream.orderedWait(orders, (o: Order) => lookupCustomer(o), { timeoutMs: 2_000, capacity: 50 });
 */
export const AsyncDataStream = {
  /** Emits results in input order (a slow request holds back those behind it). */
  orderedWait<I, O>(stream: DataStream<I>, fn: AsyncFunction<I, O>, options: AsyncWaitOptions<I, O>): SingleOutputStreamOperator<O> {
    return asyncWait(stream, fn, options, "ordered");
  },
  /** Emits results as they complete; records never overtake a watermark, nor a watermark a record. */
  unorderedWait<I, O>(stream: DataStream<I>, fn: AsyncFunction<I, O>, options: AsyncWaitOptions<I, O>): SingleOutputStreamOperator<O> {
    return asyncWait(stream, fn, options, "unordered");
  },
};

function asyncWait<I, O>(stream: DataStream<I>, fn: AsyncFunction<I, O>, options: AsyncWaitOptions<I, O>, mode: AsyncOutputMode): SingleOutputStreamOperator<O> {
  const where = mode === "ordered" ? "AsyncDataStream.orderedWait()" : "AsyncDataStream.unorderedWait()";
  const settings = asyncWaitSettings(options, mode, where);
  const copies = subtaskCopies(fn, where);
  return stream.addNamedOperator<O>(mode === "ordered" ? "AsyncWait(ordered)" : "AsyncWait(unordered)", (name) => new AsyncWaitOperator<I, O>(copies(), settings, name));
}

/** The options with defaults; throws, naming the option, when one is out of range. */
function asyncWaitSettings<I, O>(options: AsyncWaitOptions<I, O>, mode: AsyncOutputMode, where: string): AsyncWaitSettings<I, O> {
  const { timeoutMs, capacity = DEFAULT_CAPACITY, retries = 0, retryDelayMs = DEFAULT_RETRY_DELAY_MS, retryBackoff = 1, onTimeout } = options;
  const check = (ok: boolean, option: string, value: unknown, wanted: string) => {
    if (!ok) throw new Error(`${where}: ${option} must be ${wanted}, got ${String(value)}`);
  };
  check(Number.isFinite(timeoutMs) && timeoutMs > 0, "timeoutMs", timeoutMs, "a positive number of milliseconds");
  check(Number.isInteger(capacity) && capacity >= 1, "capacity", capacity, "a positive integer");
  check(Number.isInteger(retries) && retries >= 0, "retries", retries, "a non-negative integer");
  check(Number.isFinite(retryDelayMs) && retryDelayMs >= 0, "retryDelayMs", retryDelayMs, "a non-negative number of milliseconds");
  check(Number.isFinite(retryBackoff) && retryBackoff >= 1, "retryBackoff", retryBackoff, "a number of at least 1");
  check(onTimeout === undefined || typeof onTimeout === "function", "onTimeout", onTimeout, "a function");
  return { mode, timeoutMs, capacity, retries, retryDelayMs, retryBackoff, onTimeout };
}
