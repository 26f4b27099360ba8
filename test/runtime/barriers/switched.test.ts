// The switched state: an aligned checkpoint whose alignment outlived the aligned-checkpoint
// timeout is taken unaligned; channels that had delivered the barrier owe nothing, the others
// record until their in-band barrier arrives. Savepoints never switch.

import { describe, expect, it } from "vitest";
import { barrier, data, priority, run, savepointBarrier, timeout } from "./trace.ts";

describe("aligned checkpoints switched to unaligned by the timeout", () => {
  it("releases the blocked channel and records the others until their barrier arrives", () => {
    const trace = [barrier(1, 0), data(10, 0), data(20, 1), timeout(1), data(21, 1), barrier(1, 1), data(22, 1)];
    const { checkpoints, inflight, processed, state } = run("exactly-once", 2, trace, { alignedTimeoutMs: 5 });
    expect(checkpoints).toEqual([1]);
    // Channel 1 owed 21 (it arrived after the switch, before its barrier); 20 was processed before the switch.
    expect(inflight[1]).toEqual({ 1: [21] });
    expect(processed).toEqual([20, 10, 21, 22]);
    expect(state.unaligned).toBeUndefined();
  });

  it("a timeout after the alignment completed changes nothing", () => {
    expect(run("exactly-once", 2, [barrier(1, 0), barrier(1, 1), timeout(1)], { alignedTimeoutMs: 5 }).checkpoints).toEqual([1]);
  });

  it("savepoints never switch: no timer runs for them", () => {
    const { checkpoints, blocked } = run("exactly-once", 2, [savepointBarrier(1, 0), timeout(1)], { alignedTimeoutMs: 5 });
    expect(checkpoints).toEqual([]);
    expect(blocked).toEqual([0]);
  });

  it("upstream switched first: its priority barrier switches the alignment here too", () => {
    const trace = [barrier(1, 0), data(10, 0), data(20, 1), priority(1, 1)];
    const { checkpoints, inflight, processed } = run("exactly-once", 2, trace, { alignedTimeoutMs: 5 });
    expect(checkpoints).toEqual([1]);
    expect(inflight[1]).toEqual({});
    expect(processed).toEqual([20, 10]);
  });
});
