// Delivers the last batch of a collect sink's lane as a request the client answers: a batch
// published while a NATS server fails over can be lost, and the last one has nothing after it to
// reveal the gap, so it is sent again until the client confirms it (the client drops repeats).

import { NoRespondersError, RequestTimeoutError, type Bus } from "../bus/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../observability/logger.ts";

/** How long each attempt waits for the client's answer (ms): about 15 s in all. */
const ANSWER_TIMEOUTS_MS = [1000, 2000, 4000, 4000, 4000];
/** With nobody listening (the client reconnecting, or gone), the pause before the next attempt (ms). */
const NO_LISTENER_PAUSE_MS = 250;

/** Where the last batch goes and what tells the sink to stop trying (the subtask was released). */
export interface LastBatchTarget {
  bus: Bus;
  clock: Clock;
  log: Logger;
  subject: string;
  lane: number;
  seq: number;
  stopped: () => boolean;
}

/**
 * Sends `bytes` (a lane's last batch) until the client answers, at most ANSWER_TIMEOUTS_MS.length
 * times; returns whether it answered. Never throws: a client that never answers reports the lane
 * incomplete itself.
 * @example
 * await deliverLastBatch(bytes, { bus, clock, log, subject, lane: 0, seq: 7, stopped: () => false });
 */
export async function deliverLastBatch(bytes: Uint8Array, target: LastBatchTarget): Promise<boolean> {
  let lastError: unknown;
  for (const timeoutMs of ANSWER_TIMEOUTS_MS) {
    if (target.stopped()) return false;
    try {
      await target.bus.request(target.subject, bytes, { timeoutMs });
      return true;
    } catch (error) {
      lastError = error;
      if (error instanceof NoRespondersError) await pause(target.clock, NO_LISTENER_PAUSE_MS);
      else if (!(error instanceof RequestTimeoutError)) break;
    }
  }
  const detail = lastError instanceof Error ? lastError.message : String(lastError);
  target.log.warn({ subject: target.subject, lane: target.lane, seq: target.seq, detail }, "the client did not confirm the last collect batch; it reports the lane incomplete if it never came");
  return false;
}

function pause(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
