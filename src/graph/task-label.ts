// How people are told which subtask something happened in: by its operators' names, as the job
// named them, with the subtask index (`"Map -> Sink: out"[1]`), and the vertex id for the logs.

import type { JobGraphSpec } from "../messages/schema.ts";

export function taskLabel(graph: JobGraphSpec, vertexId: string, subtaskIndex: number): string {
  const vertex = graph.vertices.find((v) => v.id === vertexId);
  return vertex ? `"${vertex.name}"[${subtaskIndex}] (${vertexId})` : `${vertexId}[${subtaskIndex}]`;
}
