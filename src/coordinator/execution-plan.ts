// Where each subtask runs. With slot sharing (Flink's default) subtask i of every vertex goes to
// slot i, so a job needs as many slots as its highest parallelism.

import type { JobGraphSpec, SlotGrant, SubtaskId } from "../messages/schema.ts";
import { requiredSlots } from "../graph/job-graph.ts";

export interface Deployment {
  task: SubtaskId;
  workerId: string;
  slotIndex: number;
}

export function planDeployments(jobId: string, jobGraph: JobGraphSpec, slots: readonly SlotGrant[], attempt = 0): Deployment[] {
  const needed = requiredSlots(jobGraph);
  if (slots.length < needed) throw new Error(`job needs ${needed} slots, got ${slots.length}`);
  const deployments: Deployment[] = [];
  for (const vertex of jobGraph.vertices) {
    for (let i = 0; i < vertex.parallelism; i++) {
      deployments.push({ task: { jobId, vertexId: vertex.id, subtaskIndex: i, attempt }, workerId: slots[i].workerId, slotIndex: slots[i].slotIndex });
    }
  }
  return deployments;
}
