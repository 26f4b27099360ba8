// Pipelined regions (Flink's failover regions), pure: in a streaming job every edge is pipelined,
// so a region is a set of vertices connected by edges. A failure inside one region need not
// touch the others: only its subtasks are canceled, redeployed and restored.

import type { JobGraphSpec } from "../messages/schema.ts";
import type { Deployment } from "./execution-plan.ts";
import { isTerminal, type TaskTracker } from "./task-tracker.ts";

/**
 * The job's regions, each a sorted list of vertex ids, in the order of their first vertex.
 * @example
 * pipelinedRegions(graph); // [["v1", "v3"], ["v5", "v6"]] for two independent pipelines
 */
export function pipelinedRegions(jobGraph: JobGraphSpec): string[][] {
  const parent = new Map(jobGraph.vertices.map((v) => [v.id, v.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  for (const edge of jobGraph.edges) parent.set(find(edge.source), find(edge.target));
  const regions = new Map<string, string[]>();
  for (const vertex of jobGraph.vertices) {
    const root = find(vertex.id);
    regions.set(root, [...(regions.get(root) ?? []), vertex.id]);
  }
  return [...regions.values()].map((r) => r.sort());
}

/** Every vertex of the regions that hold any of `vertexIds`. */
export function regionsOf(jobGraph: JobGraphSpec, vertexIds: Iterable<string>): Set<string> {
  const wanted = new Set(vertexIds);
  return new Set(pipelinedRegions(jobGraph).filter((region) => region.some((v) => wanted.has(v))).flat());
}

/** Whether restarting `vertices` leaves some of the job running (else a global restart is as good). */
export function isPartial(jobGraph: JobGraphSpec, vertices: ReadonlySet<string>): boolean {
  return jobGraph.vertices.some((v) => !vertices.has(v.id));
}

/** The region's subtasks again, in their slots, as execution `attempt`. */
export function redeployments(tracker: TaskTracker, vertices: ReadonlySet<string>, attempt: number): Deployment[] {
  return Object.values(tracker)
    .filter((entry) => vertices.has(entry.deployment.task.vertexId))
    .map(({ deployment }) => ({ ...deployment, task: { ...deployment.task, attempt } }));
}

/** A failed or self-canceled subtask outside the regions being failed over (`recovering`): the whole job fails. */
export function failedOutside(tracker: TaskTracker, recovering: readonly string[]): boolean {
  const vertices = new Set(recovering);
  return Object.values(tracker).some((e) => (e.state === "failed" || e.state === "canceled") && !vertices.has(e.deployment.task.vertexId));
}

/** Every subtask of the regions being failed over has ended. */
export function allTerminalIn(tracker: TaskTracker, recovering: readonly string[]): boolean {
  const vertices = new Set(recovering);
  return Object.values(tracker).every((e) => !vertices.has(e.deployment.task.vertexId) || isTerminal(e.state));
}
