// The loop of a source subtask: polls its reader in batches between event-loop turns, waits while
// an output lacks credit or the reader has nothing, and stops at the end of input or when told to.
// Barriers are injected between two turns (trigger messages are handled between them).

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
      if (status === "nothing") await (reader.available?.() ?? new Promise((resolve) => hooks.clock.setTimeout(() => resolve(undefined), 1)));
      else await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await reader.close?.();
  }
}
