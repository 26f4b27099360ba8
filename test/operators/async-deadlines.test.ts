// Attempt deadlines on a simulated clock: one timer for every attempt, `expired` only for attempts
// still live at their deadline, in start order, and finished entries do not pile up.

import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/clock.ts";
import { AttemptDeadlines } from "../../src/operators/async-deadlines.ts";

/** A clock that counts the timers armed on it. */
class CountingClock extends SimulatedClock {
  armed = 0;
  override setTimeout(fn: () => void, ms: number): number {
    this.armed++;
    return super.setTimeout(fn, ms);
  }
}

function setup(maxLive = 4) {
  const clock = new CountingClock();
  const live = new Map<string, number>();
  const expired: string[] = [];
  const deadlines = new AttemptDeadlines<string>({
    clock,
    timeoutMs: 100,
    maxLive,
    isLive: (target, attempt) => live.get(target) === attempt,
    expired: (target, attempt) => {
      live.delete(target);
      expired.push(`${target}#${attempt}@${clock.now()}`);
    },
  });
  const start = (target: string, attempt = 1) => {
    live.set(target, attempt);
    deadlines.add(target, attempt);
  };
  return { clock, live, expired, deadlines, start };
}

describe("attempt deadlines", () => {
  it("expires each live attempt at its own deadline, in start order, with one timer armed at a time", () => {
    const { clock, expired, start } = setup();
    start("a");
    clock.advanceBy(30);
    start("b");
    clock.advanceBy(30);
    start("c");
    clock.advanceBy(40);
    expect(expired).toEqual(["a#1@100"]);
    clock.advanceBy(30);
    expect(expired).toEqual(["a#1@100", "b#1@130"]);
    clock.advanceBy(100);
    expect(expired).toEqual(["a#1@100", "b#1@130", "c#1@160"]);
    // One for a, then re-armed for b and for c: never one per attempt started while another was armed.
    expect(clock.armed).toBe(3);
  });

  it("an attempt that finished before its deadline does not expire; a later attempt of the same target has its own deadline", () => {
    const { clock, live, expired, start } = setup();
    start("a");
    start("b");
    live.delete("a"); // completed
    clock.advanceBy(50);
    start("b", 2); // b's first attempt was abandoned and a second started
    clock.advanceBy(50);
    expect(expired).toEqual([]);
    clock.advanceBy(50);
    expect(expired).toEqual(["b#2@150"]);
  });

  it("finished entries behind a slow live one are dropped, so the list stays near the number of live attempts", () => {
    const { clock, live, expired, deadlines, start } = setup(4);
    start("slow");
    for (let i = 0; i < 10_000; i++) {
      start(`fast${i}`);
      live.delete(`fast${i}`);
    }
    const size = (deadlines as unknown as { targets: unknown[]; head: number }).targets.length;
    expect(size).toBeLessThanOrEqual(2 * 4 + 64 + 1);
    clock.advanceBy(100);
    expect(expired).toEqual(["slow#1@100"]);
  });

  it("close() stops the timer: nothing expires afterwards", () => {
    const { clock, expired, deadlines, start } = setup();
    start("a");
    deadlines.close();
    clock.advanceBy(1000);
    expect(expired).toEqual([]);
  });
});
