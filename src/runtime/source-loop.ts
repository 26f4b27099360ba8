// The loop of a source subtask: polls its reader in batches between event-loop turns, waits while
// an output lacks credit or the reader has nothing, and stops at the end of input or when told to.
// Barriers are injected between two turns (trigger messages are handled between them). A subtask
// that stops (canceled, failed) ends any wait, so its reader is always closed. A reader with
// pollBatch emits up to RECORDS_PER_POLL records a call, so a turn is bounded by records either way.

import type { InputStatus, SourceOutput, SourceReader } from "../operators/source.ts";
import type { Clock } from "../core/clock.ts";

/** Records (pollNext calls, or pollBatch's bounds added up) per turn before yielding. */
const RECORDS_PER_TURN = 2048;

/**
 * The bound of one pollBatch call: backpressure and watermark alignment are checked between two
 * calls, so an output may take up to this many records more than its credit allows (they wait in
 * its buffer; a frame of small records holds several times as many).
 */
const RECORDS_PER_POLL = 128;

/**
 * What the loop asks of its subtask, once per poll for backpressure: implemented by the subtask's
 * own methods (stable call targets, so the per-record check stays inlined across jobs).
 */
export interface SourceLoopHost {
  readonly clock: Clock;
  /** True once the subtask stopped, or a stop-with-savepoint barrier was injected. */
  shouldStop: () => boolean;
  isBackpressured: () => boolean;
  /**
   * True when an operator chained to the source can block between two records (async I/O with a
   * full queue): the reader is then polled one record at a time, so the block is seen at once.
   */
  pollsOneByOne: () => boolean;
  /** Resolves when credit arrives. */
  creditArrived: () => Promise<void>;
  /** `wait`, ended early (resolved) when the subtask stops (canceled or failed): an idle reader is not waited for any more. */
  interruptible: (wait: Promise<unknown>) => Promise<void>;
  /** Called before each batch of polls. */
  beforeBatch: () => void;
  /** Called after each batch of polls (a zero buffer timeout flushes here). */
  afterBatch: () => void;
}

/** Runs the reader until its input ends ("end") or the subtask stops ("stopped"); opens and closes it. */
export async function runSourceLoop(reader: SourceReader<unknown>, output: SourceOutput<unknown>, hooks: SourceLoopHost): Promise<"end" | "stopped"> {
  await reader.open?.();
  try {
    for (;;) {
      if (hooks.shouldStop()) return "stopped";
      if (hooks.isBackpressured()) {
        await hooks.creditArrived();
        continue;
      }
      hooks.beforeBatch();
      const status = pollTurn(reader, output, hooks);
      hooks.afterBatch();
      if (status === "end") return "end";
      // An idle reader may wait long (an unbounded source with nothing new): a stop ends the wait, and the reader is closed.
      if (status === "nothing") await hooks.interruptible(reader.available?.() ?? new Promise((resolve) => hooks.clock.setTimeout(() => resolve(undefined), 1)));
      else await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await reader.close?.();
  }
}

/** One turn's polls: up to RECORDS_PER_TURN records, while the reader has more and no output is backpressured. */
function pollTurn(reader: SourceReader<unknown>, output: SourceOutput<unknown>, hooks: SourceLoopHost): InputStatus {
  let status: InputStatus = "more";
  if (reader.pollBatch !== undefined && !hooks.pollsOneByOne()) {
    for (let n = 0; n < RECORDS_PER_TURN && status === "more" && !hooks.isBackpressured(); n += RECORDS_PER_POLL) status = reader.pollBatch(output, RECORDS_PER_POLL);
  } else {
    for (let n = 0; n < RECORDS_PER_TURN && status === "more" && !hooks.isBackpressured(); n++) status = reader.pollNext(output);
  }
  return status;
}
