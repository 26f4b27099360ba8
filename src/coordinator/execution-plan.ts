// Where each subtask runs. With slot sharing (Flink's default) subtask i of every vertex of one
// slot-sharing group goes to that group's slot i; groups never share a slot, so a job needs, per
// group, as many slots as the group's highest parallelism.

import type { JobGraphSpec, SlotGrant, SubtaskId } from "../messages/schema.ts";
import { DEFAULT_SLOT_SHARING_GROUP, requiredSlots, slotsPerGroup } from "../graph/job-graph.ts";

export interface Deployment {
  task: SubtaskId;
  workerId: string;
  slotIndex: number;
}

export function planDeployments(jobId: string, jobGraph: JobGraphSpec, slots: readonly SlotGrant[], attempt = 0): Deployment[] {
  const needed = requiredSlots(jobGraph);
  if (slots.length < needed) throw new Error(`job needs ${needed} slots, got ${slots.length}`);
  // Each group's slots are a run of the granted ones, in the order the groups first appear.
  const firstSlot = new Map<string, number>();
  let next = 0;
  for (const [group, count] of slotsPerGroup(jobGraph)) {
    firstSlot.set(group, next);
    next += count;
  }
  const deployments: Deployment[] = [];
  for (const vertex of jobGraph.vertices) {
    const first = firstSlot.get(vertex.slotSharingGroup ?? DEFAULT_SLOT_SHARING_GROUP)!;
    for (let i = 0; i < vertex.parallelism; i++) {
      const slot = slots[first + i];
      deployments.push({ task: { jobId, vertexId: vertex.id, subtaskIndex: i, attempt }, workerId: slot.workerId, slotIndex: slot.slotIndex });
    }
  }
  return deployments;
}
