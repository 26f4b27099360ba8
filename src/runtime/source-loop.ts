// The loop of a source subtask: polls its reader in batches between event-loop turns, waits while
// an output lacks credit or the reader has nothing, and stops at the end of input or when told to.
// Barriers are injected between two turns (trigger messages are handled between them). A subtask
// that stops (canceled, failed) ends any wait, so its reader is always closed.

import type { InputStatus, SourceOutput, SourceReader } from "../operators/source.ts";
import type { Clock } from "../core/clock.ts";

/** Source polls per turn before yielding. */
const POLLS_PER_TURN = 2048;

/**
 * What the loop asks of its subtask, once per poll for backpressure: implemented by the subtask's
 * own methods (stable call targets, so the per-record check stays inlined across jobs).
 */
export interface SourceLoopHost {
  readonly clock: Clock;
  /** True once the subtask stopped, or a stop-with-savepoint barrier was injected. */
  shouldStop: () => boolean;
  isBackpressured: () => boolean;
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
      let status: InputStatus = "more";
      hooks.beforeBatch();
      for (let i = 0; i < POLLS_PER_TURN && status === "more" && !hooks.isBackpressured(); i++) status = reader.pollNext(output);
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
