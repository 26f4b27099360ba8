// Slot-sharing groups (Flink's semantics): operators in different groups never chain and never
// share a slot; downstream operators inherit a group their inputs all share; a job needs, per
// group, as many slots as the group's highest parallelism.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { buildJobGraph, requiredSlots } from "../../src/graph/job-graph.ts";
import { planDeployments } from "../../src/coordinator/execution-plan.ts";

const discard = () => {};

function heavyJob() {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env
    .fromSequence(1, 100)
    .map((x) => x + 1)
    .name("light")
    .map((x) => x * 2)
    .name("heavy")
    .slotSharingGroup("heavy")
    .setParallelism(3)
    .filter((x) => x > 0)
    .name("after")
    .setParallelism(3)
    .addSink(discard)
    .name("sink")
    .slotSharingGroup("default");
  return buildJobGraph(env.graph, env.jobConfig("groups"));
}

describe("slot-sharing groups", () => {
  it("breaks chains between groups and lets downstream operators inherit the group", () => {
    const graph = heavyJob();
    expect(graph.vertices.map((v) => `${v.name}:${v.slotSharingGroup}×${v.parallelism}`)).toEqual([
      `${graph.vertices[0].name.split(" -> ")[0]} -> light:default×2`,
      "heavy -> after:heavy×3",
      "sink:default×2",
    ]);
  });

  it("needs the sum over groups of each group's highest parallelism", () => {
    expect(requiredSlots(heavyJob())).toBe(2 + 3);
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    env.fromElements(1).map((x) => x).addSink(discard);
    expect(requiredSlots(buildJobGraph(env.graph, env.jobConfig("one group")))).toBe(4);
  });

  it("never puts subtasks of different groups in one slot", () => {
    const graph = heavyJob();
    const slots = [0, 1, 2, 3, 4].map((i) => ({ workerId: i % 2 === 0 ? "w-a" : "w-b", slotIndex: Math.floor(i / 2) }));
    const deployments = planDeployments("job1", graph, slots);
    const groupOfSlot = new Map<string, Set<string>>();
    for (const d of deployments) {
      const group = graph.vertices.find((v) => v.id === d.task.vertexId)!.slotSharingGroup!;
      const slot = `${d.workerId}/${d.slotIndex}`;
      groupOfSlot.set(slot, (groupOfSlot.get(slot) ?? new Set()).add(group));
    }
    expect([...groupOfSlot.entries()].map(([slot, groups]) => `${slot}=${[...groups].join(",")}`).sort()).toEqual([
      "w-a/0=default",
      "w-a/1=heavy",
      "w-a/2=heavy",
      "w-b/0=default",
      "w-b/1=heavy",
    ]);
    // Within a group, subtask i of every vertex shares slot i.
    const at = (vertex: number, i: number) => deployments.find((d) => d.task.vertexId === graph.vertices[vertex].id && d.task.subtaskIndex === i)!;
    expect(`${at(0, 1).workerId}/${at(0, 1).slotIndex}`).toBe(`${at(2, 1).workerId}/${at(2, 1).slotIndex}`);
    expect(() => planDeployments("job1", graph, slots.slice(0, 4))).toThrow("job needs 5 slots, got 4");
  });

  it("refuses an empty group name", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.fromElements(1).map((x) => x).slotSharingGroup("")).toThrow("slotSharingGroup() needs a non-empty name");
  });
});
