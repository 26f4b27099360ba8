// What a submitted job graph must satisfy beyond its shape, checked before a job master is started
// for it: a stranger's (or a broken client's) graph gets a clear refusal, not a job that hangs or
// "finishes" with no tasks.

import type { JobGraphSpec } from "../messages/schema.ts";

const MAX_PARALLELISM = 32768;

const validParallelism = (p: number, max: number): boolean => Number.isInteger(p) && p >= 1 && p <= max;

/** Every problem found, as sentences; empty when the graph can run. */
export function jobGraphProblems(spec: JobGraphSpec): string[] {
  const problems: string[] = [];
  if (spec.vertices.length === 0) problems.push("it has no vertices");
  const ids = new Set<string>();
  for (const vertex of spec.vertices) {
    const name = `vertex ${vertex.id}`;
    if (ids.has(vertex.id)) problems.push(`${name} appears twice`);
    ids.add(vertex.id);
    if (!validParallelism(vertex.maxParallelism, MAX_PARALLELISM)) problems.push(`${name} has maxParallelism ${vertex.maxParallelism} (an integer in [1, ${MAX_PARALLELISM}])`);
    else if (!validParallelism(vertex.parallelism, vertex.maxParallelism)) problems.push(`${name} has parallelism ${vertex.parallelism} (an integer in [1, ${vertex.maxParallelism}])`);
    if (vertex.nodes.length === 0 || vertex.operatorUids.length !== vertex.nodes.length) problems.push(`${name} has ${vertex.nodes.length} node(s) and ${vertex.operatorUids.length} operator uid(s)`);
  }
  for (const edge of spec.edges) {
    for (const end of [edge.source, edge.target]) if (!ids.has(end)) problems.push(`edge ${edge.id} names vertex ${end}, which the graph does not have`);
  }
  return problems;
}
