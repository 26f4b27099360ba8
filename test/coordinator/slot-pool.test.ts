// The resource manager's book of workers and slots, as pure functions over an immutable value.

import { describe, expect, it } from "vitest";
import {
  allocateSlots,
  emptySlotPool,
  expireWorkers,
  freeSlots,
  heartbeat,
  probed,
  registerWorker,
  releaseSlots,
  unregisterWorker,
  type AllocationOutcome,
  type SlotPool,
} from "../../src/coordinator/slot-pool.ts";

/** A pool with the given workers (id → slots), all registered at time 0. */
function poolOf(workers: Record<string, number>): SlotPool {
  return Object.entries(workers).reduce((pool, [id, slots]) => registerWorker(pool, id, slots, 0), emptySlotPool);
}

function allocated(outcome: AllocationOutcome) {
  if (outcome.kind !== "allocated") throw new Error(`expected an allocation, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const grants = (outcome: AllocationOutcome) => allocated(outcome).slots.map((s) => `${s.workerId}/${s.slotIndex}`);

describe("slot allocation", () => {
  it("takes each slot from the worker with the most free slots, ties going to the lowest id", () => {
    const pool = poolOf({ b: 4, a: 4, c: 2 });
    expect(grants(allocateSlots(pool, "job-1", 6))).toEqual(["a/0", "b/0", "a/1", "b/1", "a/2", "b/2"]);
  });

  it("prefers an emptier worker over a lower id", () => {
    let pool = poolOf({ a: 2, b: 2 });
    pool = allocated(allocateSlots(pool, "job-1", 1)).pool; // a/0
    expect(grants(allocateSlots(pool, "job-2", 2))).toEqual(["b/0", "a/1"]);
  });

  it("counts free slots over all workers", () => {
    const pool = poolOf({ a: 3, b: 2 });
    expect(freeSlots(pool)).toBe(5);
    expect(freeSlots(allocated(allocateSlots(pool, "job-1", 4)).pool)).toBe(1);
    expect(freeSlots(emptySlotPool)).toBe(0);
  });

  it("reports insufficient slots with what is free, and takes nothing", () => {
    const pool = allocated(allocateSlots(poolOf({ a: 2, b: 1 }), "job-1", 1)).pool;
    expect(allocateSlots(pool, "job-2", 3)).toEqual({ kind: "insufficient", free: 2, workers: 2 });
    expect(allocateSlots(emptySlotPool, "job-2", 1)).toEqual({ kind: "insufficient", free: 0, workers: 0 });
  });

  it("allows allocating exactly every free slot", () => {
    const outcome = allocated(allocateSlots(poolOf({ a: 2, b: 1 }), "job-1", 3));
    expect(outcome.slots).toHaveLength(3);
    expect(freeSlots(outcome.pool)).toBe(0);
  });

  it("leaves the pool it was given untouched", () => {
    const pool = poolOf({ a: 2 });
    const before = JSON.stringify(pool);
    allocated(allocateSlots(pool, "job-1", 2));
    expect(JSON.stringify(pool)).toBe(before);
    expect(freeSlots(pool)).toBe(2);
  });

  it("records which job holds each slot", () => {
    const pool = allocated(allocateSlots(poolOf({ a: 2, b: 1 }), "job-1", 2)).pool;
    const next = allocated(allocateSlots(pool, "job-2", 1)).pool;
    expect(next.workers.a.allocated).toEqual({ 0: "job-1", 1: "job-1" });
    expect(next.workers.b.allocated).toEqual({ 0: "job-2" });
  });
});

describe("slot release", () => {
  it("frees only the slots of the released job, and reuses the lowest free index", () => {
    let pool = poolOf({ a: 3 });
    pool = allocated(allocateSlots(pool, "job-1", 1)).pool; // a/0
    pool = allocated(allocateSlots(pool, "job-2", 1)).pool; // a/1
    pool = releaseSlots(pool, "job-1");
    expect(pool.workers.a.allocated).toEqual({ 1: "job-2" });
    expect(freeSlots(pool)).toBe(2);
    expect(grants(allocateSlots(pool, "job-3", 2))).toEqual(["a/0", "a/2"]);
  });

  it("changes nothing when releasing a job that holds no slots", () => {
    const pool = allocated(allocateSlots(poolOf({ a: 1 }), "job-1", 1)).pool;
    expect(releaseSlots(pool, "job-unknown")).toEqual(pool);
  });
});

describe("registration and heartbeats", () => {
  it("a heartbeat from an unknown worker registers it, so a restarted resource manager re-learns it", () => {
    const pool = heartbeat(emptySlotPool, "worker-a", 4, 500);
    expect(pool.workers["worker-a"]).toEqual({ workerId: "worker-a", slots: 4, lastHeartbeat: 500, allocated: {} });
    expect(freeSlots(pool)).toBe(4);
  });

  it("a heartbeat from a known worker refreshes its time and slot count and keeps its allocations", () => {
    let pool = allocated(allocateSlots(poolOf({ a: 2 }), "job-1", 1)).pool;
    pool = heartbeat(pool, "a", 3, 900);
    expect(pool.workers.a).toEqual({ workerId: "a", slots: 3, lastHeartbeat: 900, allocated: { 0: "job-1" } });
  });

  it("re-registering a worker keeps its allocations", () => {
    let pool = allocated(allocateSlots(poolOf({ a: 2 }), "job-1", 2)).pool;
    pool = registerWorker(pool, "a", 2, 100);
    expect(freeSlots(pool)).toBe(0);
  });
});

describe("unregisterWorker", () => {
  it("removes a leaving worker at once and reports the jobs that had slots there", () => {
    let pool = allocated(allocateSlots(poolOf({ a: 2, b: 2 }), "job-1", 2)).pool;
    pool = allocated(allocateSlots(pool, "job-2", 1)).pool;
    const { pool: after, lost } = unregisterWorker(pool, "a");
    expect(lost).toEqual({ workerId: "a", jobIds: ["job-1", "job-2"] });
    expect(Object.keys(after.workers)).toEqual(["b"]);
    expect(allocateSlots(after, "job-3", 2).kind).toBe("insufficient");
  });

  it("ignores an unknown worker", () => {
    const pool = poolOf({ a: 1 });
    expect(unregisterWorker(pool, "zz")).toEqual({ pool });
  });
});

describe("probed", () => {
  it("loses a worker nobody listens for twice in a row, with the jobs that had slots there; an answer or a heartbeat in between resets the count", () => {
    let pool = registerWorker(registerWorker(emptySlotPool, "w1", 2, 0), "w2", 2, 0);
    const granted = allocateSlots(pool, "job-a", 3);
    if (granted.kind !== "allocated") throw new Error("expected slots");
    pool = granted.pool;
    let step = probed(pool, "w1", false);
    expect(step.lost).toBeUndefined();
    step = probed(step.pool, "w1", true);
    step = probed(step.pool, "w1", false);
    expect(step.lost).toBeUndefined();
    pool = heartbeat(step.pool, "w1", 2, 10);
    step = probed(pool, "w1", false);
    expect(step.lost).toBeUndefined();
    step = probed(step.pool, "w1", false);
    expect(step.lost).toEqual({ workerId: "w1", jobIds: ["job-a"] });
    expect(Object.keys(step.pool.workers)).toEqual(["w2"]);
    // An unknown worker (already gone) changes nothing.
    expect(probed(step.pool, "w1", false)).toEqual({ pool: step.pool });
  });
});

describe("expireWorkers", () => {
  it("removes workers silent for longer than the timeout and reports the jobs that had slots there", () => {
    let pool = emptySlotPool;
    pool = registerWorker(pool, "old", 3, 0);
    pool = registerWorker(pool, "fresh", 2, 0);
    pool = allocated(allocateSlots(pool, "job-b", 3)).pool;
    pool = allocated(allocateSlots(pool, "job-a", 2)).pool;
    pool = heartbeat(pool, "fresh", 2, 900);
    expect(pool.workers.old.allocated).toEqual({ 0: "job-b", 1: "job-b", 2: "job-a" });

    const { pool: after, lost } = expireWorkers(pool, 1000, 500);
    expect(lost).toEqual([{ workerId: "old", jobIds: ["job-a", "job-b"] }]);
    expect(Object.keys(after.workers)).toEqual(["fresh"]);
  });

  it("keeps a worker whose silence equals the timeout exactly", () => {
    const pool = registerWorker(emptySlotPool, "a", 1, 100);
    expect(expireWorkers(pool, 600, 500).lost).toEqual([]);
    expect(expireWorkers(pool, 601, 500).lost).toEqual([{ workerId: "a", jobIds: [] }]);
  });
});
