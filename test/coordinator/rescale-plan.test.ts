// The rescale decisions, fed traces: which requests are refused and why, and when a reactive job
// looks for more slots (workers joining together cause one look) and what it grows to.

import { describe, expect, it } from "vitest";
import { fittingParallelism, grownParallelism, reactiveIdle, reactiveTick, rescaleProblem, workerJoined, type ReactiveState } from "../../src/coordinator/rescale-plan.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";

function graph(parallelism: number, maxParallelism = 128, checkpointing = true): JobGraphSpec {
  const vertex = (id: string, name: string, p: number) => ({ id, name, parallelism: p, maxParallelism, nodes: [Number(id.slice(1))], operatorUids: [id], isSource: id === "v1", bufferTimeoutMs: 0 });
  return {
    jobName: "j",
    digest: "d",
    vertices: [vertex("v1", "Numbers", parallelism), vertex("v2", "count", parallelism)],
    edges: [],
    config: { parallelism, maxParallelism, ...(checkpointing ? { checkpointing: { intervalMs: 100, mode: "exactly-once", timeoutMs: 1000 } } : {}) } as JobGraphSpec["config"],
  };
}

describe("a requested rescale", () => {
  it("is refused above the max parallelism, without checkpointing, at the same parallelism, or not a positive integer", () => {
    expect(rescaleProblem("j1", graph(2, 4), 5)).toMatch(/cannot rescale job j1 to parallelism 5: it is above the max parallelism 4 of Numbers \(it may have at most 4 subtasks\)/);
    expect(rescaleProblem("j1", graph(2, 128, false), 3)).toMatch(/runs without checkpointing/);
    expect(rescaleProblem("j1", graph(2), 2)).toMatch(/already runs at parallelism 2/);
    expect(rescaleProblem("j1", graph(2), 0)).toMatch(/must be a positive integer/);
    expect(rescaleProblem("j1", graph(2), 3)).toBeUndefined();
  });

  it("names the keyed vertex when the max parallelism is refused, not the source before it", () => {
    const keyed = { ...graph(2, 128), edges: [{ id: "e1", source: "v1", target: "v2", partitioner: { kind: "hash" as const }, sourceNode: 1, targetNode: 2, inputIndex: 0 }] };
    expect(rescaleProblem("j1", keyed, 200)).toBe(
      "cannot rescale job j1 to parallelism 200: it is above the max parallelism 128 of count (its keyed state is split into 128 key groups); choose -p 128 or less, or start the job with a higher setMaxParallelism()",
    );
  });
});

describe("reactive mode", () => {
  const slotsAt = (p: number) => p;

  it("looks for slots once, after the last of several workers joining together has settled", () => {
    let state: ReactiveState = reactiveIdle;
    const looks: number[] = [];
    const trace: [number, "join" | "tick"][] = [[0, "join"], [500, "tick"], [600, "join"], [1500, "join"], [2500, "tick"], [3499, "tick"], [3500, "tick"], [5500, "tick"]];
    for (const [at, what] of trace) {
      if (what === "join") state = workerJoined(state, at, 2000);
      else {
        const tick = reactiveTick(state, at, { parallelism: 2, upper: 128 });
        state = tick.state;
        if (tick.look) looks.push(at);
      }
    }
    expect(looks).toEqual([3500]);
  });

  it("does not look at its max parallelism", () => {
    expect(reactiveTick(workerJoined(reactiveIdle, 0, 10), 10, { parallelism: 4, upper: 4 }).look).toBe(false);
  });

  it("runs at the highest parallelism the slots fit, capped by the upper bound; grows only upwards", () => {
    expect(fittingParallelism(3, 128, slotsAt)).toBe(3);
    expect(fittingParallelism(6, 4, slotsAt)).toBe(4);
    expect(fittingParallelism(0, 4, slotsAt)).toBe(0);
    // Two slot-sharing groups: parallelism p needs p + 1 slots.
    expect(fittingParallelism(4, 128, (p) => p + 1)).toBe(3);
    expect(grownParallelism({ parallelism: 2, upper: 128, slotsAt }, 2)).toBe(4);
    expect(grownParallelism({ parallelism: 2, upper: 2, slotsAt }, 2)).toBeUndefined();
    expect(grownParallelism({ parallelism: 2, upper: 3, slotsAt }, 5)).toBe(3);
  });
});
