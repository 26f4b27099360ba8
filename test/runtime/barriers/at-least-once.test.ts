// The at-least-once state: barriers are collected without blocking any channel.

import { describe, expect, it } from "vitest";
import { barrier, cancel, data, end, run } from "./trace.ts";

describe("at-least-once", () => {
  it("never blocks: data after a barrier is processed at once, and the checkpoint is taken with the last barrier", () => {
    const { checkpoints, processed } = run("at-least-once", 2, [barrier(1, 0), data(10, 0), data(20, 1), barrier(1, 1), data(11, 0)]);
    expect(checkpoints).toEqual([1]);
    expect(processed).toEqual([10, 20, 11]);
  });

  it("also aborts overtaken checkpoints: [-1, 2]", () => {
    expect(run("at-least-once", 2, [barrier(1, 0), barrier(2, 1), barrier(2, 0), data(1, 0)]).checkpoints).toEqual([-1, 2]);
  });

  it("aborts on a cancel marker and completes when a missing channel ends: [-1, 2]", () => {
    const { checkpoints, blocked } = run("at-least-once", 2, [barrier(1, 0), cancel(1), barrier(1, 1), barrier(2, 1), end(0)]);
    expect(checkpoints).toEqual([-1, 2]);
    expect(blocked).toEqual([]);
  });
});
