// Where subtasks are deployed (slot sharing: subtask i of every vertex in slot i), and the job
// master's view of their states, with explicit outcomes for every report.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { planDeployments } from "../../src/coordinator/execution-plan.ts";
import {
  allInState,
  allTerminal,
  anyInState,
  applyTaskReport,
  createTracker,
  failTasksOn,
  isTerminal,
  nonTerminal,
  overdueDeploys,
  trackerKey,
  type TaskTracker,
} from "../../src/coordinator/task-tracker.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import type { JobGraphSpec, SlotGrant, SubtaskId, TaskState } from "../../src/messages/schema.ts";

/** Sequence (×2) → keyBy → reduce (×3) → sink (×1): vertices v1, v2, v3 of different parallelism. */
function threeVertexJob(): JobGraphSpec {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env
    .fromSequence(1, 10)
    .keyBy((x) => x % 3)
    .reduce((a, b) => a + b)
    .setParallelism(3)
    .addSink(() => {})
    .setParallelism(1);
  return buildJobGraph(env.graph, env.jobConfig("three vertices"));
}

const slots: SlotGrant[] = [
  { workerId: "w1", slotIndex: 0 },
  { workerId: "w2", slotIndex: 0 },
  { workerId: "w1", slotIndex: 1 },
];

describe("planDeployments", () => {
  it("puts subtask i of every vertex in slot i", () => {
    const graph = threeVertexJob();
    expect(graph.vertices.map((v) => v.parallelism)).toEqual([2, 3, 1]);
    const plan = planDeployments("job-1", graph, slots);
    expect(plan.map((d) => `${d.task.vertexId}#${d.task.subtaskIndex} → ${d.workerId}/${d.slotIndex}`)).toEqual([
      "v1#0 → w1/0",
      "v1#1 → w2/0",
      "v2#0 → w1/0",
      "v2#1 → w2/0",
      "v2#2 → w1/1",
      "v3#0 → w1/0",
    ]);
    expect(plan.every((d) => d.task.jobId === "job-1" && d.task.attempt === 0)).toBe(true);
  });

  it("stamps every task with the attempt it is given", () => {
    const plan = planDeployments("job-1", threeVertexJob(), slots, 4);
    expect(new Set(plan.map((d) => d.task.attempt))).toEqual(new Set([4]));
  });

  it("refuses fewer slots than the highest parallelism", () => {
    expect(() => planDeployments("job-1", threeVertexJob(), slots.slice(0, 2))).toThrow("job needs 3 slots, got 2");
  });
});

describe("task tracker", () => {
  const graph = threeVertexJob();
  const plan = planDeployments("job-1", graph, slots, 1);
  const task = (vertexId: string, subtaskIndex: number, attempt = 1): SubtaskId => ({ jobId: "job-1", vertexId, subtaskIndex, attempt });
  const states = (tracker: TaskTracker) => Object.fromEntries(Object.entries(tracker).map(([k, e]) => [k, e.state]));

  /** Applies reports in order, returning the outcomes and the final tracker. */
  function trace(reports: [SubtaskId, TaskState][], start = createTracker(plan)) {
    let tracker = start;
    const outcomes = reports.map(([t, state]) => {
      const result = applyTaskReport(tracker, t, state);
      tracker = result.tracker;
      return result.outcome;
    });
    return { tracker, outcomes };
  }

  it("starts every deployed task in created", () => {
    const tracker = createTracker(plan);
    expect(Object.keys(tracker)).toEqual(["v1#0", "v1#1", "v2#0", "v2#1", "v2#2", "v3#0"]);
    expect(allInState(tracker, ["created"])).toBe(true);
    expect(tracker[trackerKey(task("v2", 2))].deployment.workerId).toBe("w1");
  });

  it("answers each report with updated, stale, unknown or ignored", () => {
    const { tracker, outcomes } = trace([
      [task("v1", 0), "deploying"],
      [task("v1", 0), "running"],
      [task("v1", 0, 0), "failed"], // an old attempt
      [task("v9", 0), "running"], // no such vertex
      [task("v1", 7), "running"], // no such subtask
      [task("v1", 0), "finished"],
      [task("v1", 0), "running"], // after a terminal state
      [task("v1", 0), "failed"],
    ]);
    expect(outcomes).toEqual(["updated", "updated", "stale", "unknown", "unknown", "updated", "ignored", "ignored"]);
    expect(tracker["v1#0"].state).toBe("finished");
  });

  it("leaves the tracker it was given untouched", () => {
    const start = createTracker(plan);
    const { tracker } = trace([[task("v2", 1), "running"]], start);
    expect(start["v2#1"].state).toBe("created");
    expect(tracker["v2#1"].state).toBe("running");
  });

  it("returns the same tracker for reports it does not apply", () => {
    const start = createTracker(plan);
    expect(applyTaskReport(start, task("v1", 0, 0), "running").tracker).toBe(start);
    expect(applyTaskReport(start, task("nope", 0), "running").tracker).toBe(start);
  });

  it("fails every live task on a lost worker, and leaves finished ones and other workers alone", () => {
    const { tracker } = trace([
      [task("v1", 0), "running"], // w1
      [task("v2", 0), "finished"], // w1
      [task("v2", 2), "canceled"], // w1
      [task("v1", 1), "running"], // w2
      [task("v3", 0), "deploying"], // w1
    ]);
    expect(states(failTasksOn(tracker, "w1"))).toEqual({
      "v1#0": "failed",
      "v1#1": "running",
      "v2#0": "finished",
      "v2#1": "created",
      "v2#2": "canceled",
      "v3#0": "failed",
    });
  });

  it("answers questions over all tasks", () => {
    let { tracker } = trace(plan.map((d) => [d.task, "running"] as [SubtaskId, TaskState]));
    expect(allInState(tracker, ["running"])).toBe(true);
    expect(anyInState(tracker, "failed")).toBe(false);
    expect(allTerminal(tracker)).toBe(false);
    tracker = failTasksOn(tracker, "w2");
    expect(anyInState(tracker, "failed")).toBe(true);
    expect(nonTerminal(tracker).map((d) => trackerKey(d.task))).toEqual(["v1#0", "v2#0", "v2#2", "v3#0"]);
    tracker = failTasksOn(tracker, "w1");
    expect(allTerminal(tracker)).toBe(true);
    expect(nonTerminal(tracker)).toEqual([]);
  });

  it("knows which states are terminal", () => {
    const all: TaskState[] = ["created", "deploying", "initializing", "running", "finished", "canceling", "canceled", "failed"];
    expect(all.filter(isTerminal)).toEqual(["finished", "canceled", "failed"]);
  });
});

describe("overdueDeploys", () => {
  it("names the workers whose deployed subtasks stayed unacknowledged for the timeout, from the first tick that saw them so", () => {
    let tracker = createTracker(planDeployments("job-1", threeVertexJob(), slots));
    // w2 acknowledges its subtasks; w1 only one of its four.
    tracker = applyTaskReport(tracker, { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, "deploying").tracker;
    tracker = applyTaskReport(tracker, { jobId: "job-1", vertexId: "v2", subtaskIndex: 1, attempt: 0 }, "running").tracker;
    tracker = applyTaskReport(tracker, { jobId: "job-1", vertexId: "v1", subtaskIndex: 0, attempt: 0 }, "deploying").tracker;

    const first = overdueDeploys(tracker, 1_000, 10_000);
    expect(first.workers).toEqual([]);
    const second = overdueDeploys(first.tracker, 10_999, 10_000);
    expect(second.workers).toEqual([]);
    expect(second.tracker).toBe(first.tracker); // nothing new to stamp
    expect(overdueDeploys(second.tracker, 11_000, 10_000).workers).toEqual(["w1"]);

    // Acknowledged late, it is no longer overdue; a new attempt's subtasks count from their own first tick.
    let late = first.tracker;
    for (const [vertexId, subtaskIndex] of [["v2", 0], ["v2", 2], ["v3", 0]] as const) late = applyTaskReport(late, { jobId: "job-1", vertexId, subtaskIndex, attempt: 0 }, "deploying").tracker;
    expect(overdueDeploys(late, 50_000, 10_000).workers).toEqual([]);
    const again = createTracker(planDeployments("job-1", threeVertexJob(), slots, 1));
    expect(overdueDeploys(overdueDeploys(again, 50_000, 10_000).tracker, 55_000, 10_000).workers).toEqual([]);
  });
});

