// The unaligned state: a priority barrier starts the checkpoint at once; each other channel owes
// what it buffered and what arrives until its own priority barrier (or its end).

import { describe, expect, it } from "vitest";
import { barrier, cancel, data, end, priority, run } from "./trace.ts";

describe("unaligned checkpoints", () => {
  it("completes when every channel has delivered its priority barrier, storing what the others sent before it", () => {
    const { checkpoints, inflight, processed } = run("exactly-once", 2, [data(1, 0), priority(1, 0), data(2, 0), data(3, 1), priority(1, 1), data(4, 1)]);
    expect(checkpoints).toEqual([1]);
    expect(inflight[1]).toEqual({ 1: [3] });
    expect(processed).toEqual([1, 2, 3, 4]);
  });

  it("the first channel owes what it buffers behind a blocked alignment, the others what arrives until their barrier", () => {
    // Channel 0 is blocked by savepoint 1 (aligned), so 10 and 11 wait in its queue when 2 overtakes them.
    const trace = [barrier(1, 0), data(10, 0), data(11, 0), priority(2, 0), data(20, 1), priority(2, 1)];
    const { checkpoints, inflight } = run("exactly-once", 2, trace);
    expect(checkpoints).toEqual([2]);
    expect(inflight[2]).toEqual({ 0: [10, 11], 1: [20] });
  });

  it("a newer unaligned checkpoint overtakes the one in progress: [-1, 2]", () => {
    expect(run("exactly-once", 2, [priority(1, 0), priority(2, 0), priority(2, 1), priority(1, 1)]).checkpoints).toEqual([-1, 2]);
  });

  it("a channel that ends owes nothing more", () => {
    const { checkpoints, inflight } = run("exactly-once", 2, [priority(3, 0), data(5, 1), end(1)]);
    expect(checkpoints).toEqual([3]);
    expect(inflight[3]).toEqual({ 1: [5] });
  });

  it("an abort notice stops it; its late barriers are ignored: [-4, 5]", () => {
    expect(run("exactly-once", 2, [priority(4, 0), cancel(4), priority(4, 1), priority(5, 1), priority(5, 0)]).checkpoints).toEqual([-4, 5]);
  });

  it("an old priority barrier is ignored", () => {
    expect(run("exactly-once", 2, [priority(2, 0), priority(2, 1), priority(1, 0), barrier(2, 1)]).checkpoints).toEqual([2]);
  });
});
