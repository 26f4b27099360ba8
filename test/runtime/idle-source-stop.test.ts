// A source subtask whose reader has nothing and waits for input that never comes (an unbounded
// source with nothing new) is still closed when its job is canceled or fails over: the stop ends
// the source loop's wait, so the reader's connections and consumers are released.

import { describe, expect, it } from "vitest";
import { JobExecutionError, StreamExecutionEnvironment, type Source } from "../../src/index.ts";

/** Emits `first` records, then has nothing forever; counts its opens and closes. */
function idleSource(first: number, counts: { opened: number; closed: number }): Source<number> {
  return {
    parallel: true,
    createReader: () => {
      let next = 0;
      return {
        open: () => void (counts.opened += 1),
        pollNext: (output) => {
          if (next >= first) return "nothing";
          output.collect(next++);
          return "more";
        },
        available: () => new Promise<void>(() => undefined),
        close: () => void (counts.closed += 1),
      };
    },
  };
}

describe("an idle source waiting for input", () => {
  it("is closed when the job is canceled", async () => {
    const counts = { opened: 0, closed: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env.fromSource(idleSource(10, counts), "Idle").collect();
    const client = await env.executeAsync("idle-canceled");
    while (out.values.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    await client.cancel();
    await expect(client.result).rejects.toBeInstanceOf(JobExecutionError);
    expect(counts).toEqual({ opened: 2, closed: 2 });
  });

  it("is closed when another subtask fails and the job restarts", async () => {
    const counts = { opened: 0, closed: 0 };
    const shared = { failed: false };
    const ref = () => shared;
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 1, delayMs: 10 });
    env
      .fromSource(idleSource(10, counts), "Idle")
      .rebalance()
      .map((n: number) => {
        if (n === 9 && !ref().failed) {
          ref().failed = true;
          throw new Error("injected");
        }
        return n;
      })
      .collect();
    const client = await env.executeAsync("idle-failed");
    // The second attempt opens a reader of its own; the first attempt's, idle, must have been closed.
    while (counts.opened < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await client.cancel();
    await expect(client.result).rejects.toBeInstanceOf(JobExecutionError);
    expect(counts).toEqual({ opened: 2, closed: 2 });
  });
});
