// The exactly-once aligning state, as traces: a channel that delivered barrier n waits until every
// live channel has; newer barriers and cancel markers abort; ended channels are not waited for.

import { describe, expect, it } from "vitest";
import { barrier, cancel, data, end, run } from "./trace.ts";

describe("exactly-once alignment", () => {
  it("takes a checkpoint once every channel has delivered its barrier", () => {
    expect(run("exactly-once", 2, [data(1, 0), barrier(1, 0), data(2, 1), barrier(1, 1), data(3, 0)]).checkpoints).toEqual([1]);
  });

  it("blocks a channel that delivered barrier n until all have: its later data waits for the checkpoint", () => {
    const { checkpoints, processed } = run("exactly-once", 2, [barrier(1, 0), data(10, 0), data(11, 0), data(20, 1), barrier(1, 1), data(21, 1)]);
    expect(checkpoints).toEqual([1]);
    // 10 and 11 came after the barrier on channel 0: processed only after the checkpoint.
    expect(processed).toEqual([20, 10, 11, 21]);
  });

  it("aborts a checkpoint when a newer barrier overtakes it, and aligns on the newer one: [-1, 2]", () => {
    expect(run("exactly-once", 2, [barrier(1, 0), barrier(2, 1), barrier(2, 0)]).checkpoints).toEqual([-1, 2]);
  });

  it("a channel that delivered the newer barrier stays blocked after the older alignment is given up", () => {
    const { checkpoints, processed, blocked } = run("exactly-once", 2, [barrier(1, 0), barrier(2, 1), data(7, 1)]);
    expect(checkpoints).toEqual([-1]);
    expect(processed).toEqual([]);
    expect(blocked).toEqual([1]);
  });

  it("aborts on a cancel marker and ignores the late barriers of the aborted checkpoint: [1, -2, 3]", () => {
    const trace = [barrier(1, 0), barrier(1, 1), barrier(2, 0), cancel(2), barrier(2, 1), data(5, 0), barrier(3, 1), barrier(3, 0)];
    const { checkpoints, processed } = run("exactly-once", 2, trace);
    expect(checkpoints).toEqual([1, -2, 3]);
    expect(processed).toEqual([5]);
  });

  it("ignores barriers of checkpoints already taken", () => {
    expect(run("exactly-once", 2, [barrier(1, 0), barrier(1, 1), barrier(1, 0), barrier(2, 0), barrier(2, 1)]).checkpoints).toEqual([1, 2]);
  });

  it("with one channel, takes the checkpoint at its barrier", () => {
    const { checkpoints, processed } = run("exactly-once", 1, [data(1, 0), barrier(1, 0), data(2, 0), barrier(2, 0)]);
    expect({ checkpoints, processed }).toEqual({ checkpoints: [1, 2], processed: [1, 2] });
  });

  it("completes an alignment when the only missing channel ends", () => {
    expect(run("exactly-once", 3, [barrier(4, 0), barrier(4, 1), end(2)]).checkpoints).toEqual([4]);
  });

  it("does not wait for channels that ended before the barrier", () => {
    expect(run("exactly-once", 2, [end(1), barrier(1, 0), barrier(2, 0)]).checkpoints).toEqual([1, 2]);
  });

  it("a cancel of an older checkpoint than the one aligning changes nothing", () => {
    const { checkpoints, blocked } = run("exactly-once", 2, [barrier(1, 0), barrier(1, 1), barrier(2, 0), cancel(1)]);
    expect(checkpoints).toEqual([1]);
    expect(blocked).toEqual([0]);
  });
});
