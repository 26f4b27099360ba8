// The waiting state: a barrier newer than any seen starts an alignment; old barriers and old
// cancel markers are ignored; a cancel for a checkpoint not yet seen aborts it in advance.

import { describe, expect, it } from "vitest";
import { barrier, cancel, data, run } from "./trace.ts";

describe("waiting for the first barrier", () => {
  it("a cancel for a checkpoint not yet seen aborts it in advance", () => {
    expect(run("exactly-once", 2, [cancel(3), barrier(3, 0), barrier(3, 1), barrier(4, 0), barrier(4, 1)]).checkpoints).toEqual([-3, 4]);
  });

  it("a cancel of a checkpoint already taken changes nothing", () => {
    expect(run("exactly-once", 2, [barrier(1, 0), barrier(1, 1), cancel(1), barrier(2, 0), barrier(2, 1)]).checkpoints).toEqual([1, 2]);
  });

  it("data alone takes no checkpoint and blocks nothing", () => {
    const { checkpoints, processed, state } = run("exactly-once", 2, [data(1, 0), data(2, 1)]);
    expect({ checkpoints, processed, kind: state.aligned.kind }).toEqual({ checkpoints: [], processed: [1, 2], kind: "waiting" });
  });

  it("a source injects: aligned barriers are taken at once, unaligned ones complete at once", () => {
    expect(run("exactly-once", 0, [{ inject: 1 }, { inject: 2, unaligned: true }]).checkpoints).toEqual([1, 2]);
  });
});
