// StreamGraph → JobGraph: resolves parallelism and default partitioners, then chains operators
// into vertices (forward edge and equal parallelism, or a keyBy edge between two sides of
// parallelism 1 with the same maxParallelism; a single input, the same slot-sharing group,
// chaining allowed on both sides). Pure: the same stream graph always gives the same job graph
// and digest.

import { createHash } from "node:crypto";
import type { JobConfig, JobEdgeSpec, JobGraphSpec, JobVertexSpec, PartitionerSpec } from "../messages/schema.ts";
import { checkMaxParallelism } from "../core/key-groups.ts";
import type { StreamEdge, StreamGraph, StreamNode } from "./stream-graph.ts";

/** The parallelism a node runs with. */
export function resolvedParallelism(node: StreamNode, config: JobConfig): number {
  const p = node.maxAllowedParallelism ?? node.parallelism ?? config.parallelism;
  if (!Number.isInteger(p) || p < 1) throw new Error(`${node.name}: parallelism must be a positive integer, got ${p}`);
  if (node.maxAllowedParallelism !== undefined && node.parallelism !== undefined && node.parallelism > node.maxAllowedParallelism) {
    throw new Error(`${node.name} is not parallel: setParallelism(${node.parallelism}) is not allowed; use a parallel source (fromSequence, fromGenerator)`);
  }
  return p;
}

/** Flink's default partitioner: forward when parallelism matches, else rebalance. */
export function resolvedPartitioner(edge: StreamEdge, graph: StreamGraph, config: JobConfig): PartitionerSpec {
  if (edge.partitioner) return edge.partitioner;
  const same = resolvedParallelism(graph.node(edge.source), config) === resolvedParallelism(graph.node(edge.target), config);
  return same ? { kind: "forward" } : { kind: "rebalance" };
}

/** Flink's "default" slot-sharing group. */
export const DEFAULT_SLOT_SHARING_GROUP = "default";

/**
 * Every node's slot-sharing group: the one set with slotSharingGroup(), else its inputs' group
 * when they all share one, else "default" (Flink's rule).
 */
export function slotSharingGroups(graph: StreamGraph): Map<number, string> {
  const groups = new Map<number, string>();
  // Node ids follow call order, so every input has a lower id than the node it feeds.
  for (const node of [...graph.nodes.values()].sort((a, b) => a.id - b.id)) {
    const inherited = new Set(graph.inputsOf(node.id).map((e) => groups.get(e.source) ?? DEFAULT_SLOT_SHARING_GROUP));
    groups.set(node.id, node.slotSharingGroup ?? (inherited.size === 1 ? [...inherited][0] : DEFAULT_SLOT_SHARING_GROUP));
  }
  return groups;
}

/** Whether `edge` can be a direct call inside one subtask instead of a network channel. */
export function isChainable(edge: StreamEdge, graph: StreamGraph, config: JobConfig, groups = slotSharingGroups(graph)): boolean {
  const source = graph.node(edge.source);
  const target = graph.node(edge.target);
  return (
    graph.inputsOf(target.id).length === 1 &&
    groups.get(source.id) === groups.get(target.id) &&
    resolvedParallelism(source, config) === resolvedParallelism(target, config) &&
    (resolvedPartitioner(edge, graph, config).kind === "forward" || isSingleChannelKeyBy(edge, source, target, config)) &&
    target.chaining === "always" &&
    source.chaining !== "never"
  );
}

/**
 * A keyBy edge between two sides of parallelism 1: the hash partitioner sends every record to the
 * one consumer, so the edge can be a direct call. The keyed operator computes each record's key
 * with its own key selector, as it does behind a channel. Its keyed state is split into the
 * vertex's maxParallelism key groups, which is the head's: both sides must have the same one, so
 * a savepoint taken chained restores unchained (and back) with the same key groups.
 */
function isSingleChannelKeyBy(edge: StreamEdge, source: StreamNode, target: StreamNode, config: JobConfig): boolean {
  return (
    edge.partitioner?.kind === "hash" &&
    edge.sideOutput === undefined &&
    target.keySelectors !== undefined &&
    resolvedParallelism(source, config) === 1 &&
    resolvedParallelism(target, config) === 1 &&
    (source.maxParallelism ?? config.maxParallelism) === (target.maxParallelism ?? config.maxParallelism)
  );
}

export function buildJobGraph(graph: StreamGraph, config: JobConfig): JobGraphSpec {
  if (graph.nodes.size === 0) throw new Error("the job defines no operators: add a source and a sink before execute()");
  const vertexOfNode = new Map<number, JobVertexSpec>();
  const vertices: JobVertexSpec[] = [];
  const groups = slotSharingGroups(graph);
  for (const node of [...graph.nodes.values()].sort((a, b) => a.id - b.id)) {
    const parallelism = resolvedParallelism(node, config);
    const maxParallelism = node.maxParallelism ?? config.maxParallelism;
    checkMaxParallelism(maxParallelism, parallelism);
    const inputs = graph.inputsOf(node.id);
    if (node.kind !== "source" && inputs.length === 0) throw new Error(`${node.name} has no input`);
    const chainedInto = inputs.length === 1 && isChainable(inputs[0], graph, config, groups) ? vertexOfNode.get(inputs[0].source) : undefined;
    if (node.watermarkAlignment && !(chainedInto?.isSource && chainedInto.nodes.length === 1)) {
      throw new Error(`${node.name}: a watermark strategy withWatermarkAlignment must come right after its source, chained to it: give it to fromSource(source, name, strategy)`);
    }
    if (chainedInto) {
      if (node.watermarkAlignment) chainedInto.watermarkAlignment = { ...node.watermarkAlignment };
      chainedInto.nodes.push(node.id);
      chainedInto.operatorUids.push(operatorUid(node));
      chainedInto.name = `${chainedInto.name} -> ${node.name}`;
      if (node.bufferTimeoutMs !== undefined) chainedInto.bufferTimeoutMs = Math.min(chainedInto.bufferTimeoutMs, node.bufferTimeoutMs);
      vertexOfNode.set(node.id, chainedInto);
      continue;
    }
    const vertex: JobVertexSpec = {
      id: `v${node.id}`,
      name: node.name,
      parallelism,
      maxParallelism,
      nodes: [node.id],
      operatorUids: [operatorUid(node)],
      isSource: node.kind === "source",
      ...(node.source?.createEnumerator ? { splitEnumerator: true } : {}),
      bufferTimeoutMs: node.bufferTimeoutMs ?? config.bufferTimeoutMs,
      slotSharingGroup: groups.get(node.id)!,
    };
    vertices.push(vertex);
    vertexOfNode.set(node.id, vertex);
  }
  checkUniqueUids(vertices);
  const edges: JobEdgeSpec[] = [];
  for (const edge of graph.edges) {
    const source = vertexOfNode.get(edge.source)!;
    const target = vertexOfNode.get(edge.target)!;
    if (source === target) continue;
    edges.push({
      id: `e${edges.length}`,
      source: source.id,
      target: target.id,
      partitioner: resolvedPartitioner(edge, graph, config),
      sourceNode: edge.source,
      sideOutput: edge.sideOutput,
      targetNode: edge.target,
      inputIndex: edge.inputIndex,
    });
  }
  for (const edge of edges) {
    const [s, t] = [vertices.find((v) => v.id === edge.source)!, vertices.find((v) => v.id === edge.target)!];
    if (edge.partitioner.kind === "forward" && s.parallelism !== t.parallelism) {
      throw new Error(`forward() between ${s.name} (parallelism ${s.parallelism}) and ${t.name} (${t.parallelism}) needs equal parallelism: use rebalance() or rescale()`);
    }
  }
  const shape = { vertices, edges, nodes: [...graph.nodes.values()].map((n) => [n.id, n.name, n.kind, n.uid ?? null]) };
  const digest = createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 16);
  return { jobName: config.jobName, vertices, edges, digest, config };
}

/**
 * The uid that matches an operator's state in a checkpoint or savepoint: the one set with uid(),
 * else one derived from its position in the graph (stable while the job's code keeps its shape).
 */
export function operatorUid(node: StreamNode): string {
  return node.uid ?? `auto-${node.id}`;
}

function checkUniqueUids(vertices: readonly JobVertexSpec[]): void {
  const seen = new Set<string>();
  for (const uid of vertices.flatMap((v) => v.operatorUids)) {
    if (seen.has(uid)) throw new Error(`uid ${JSON.stringify(uid)} is used by more than one operator: every uid() must be unique in a job`);
    seen.add(uid);
  }
}

/**
 * Slots per slot-sharing group, in the order the groups first appear among the vertices: within a
 * group, subtask i of every vertex shares slot i, so a group needs its highest parallelism.
 */
export function slotsPerGroup(jobGraph: JobGraphSpec): Map<string, number> {
  const slots = new Map<string, number>();
  for (const v of jobGraph.vertices) {
    const group = v.slotSharingGroup ?? DEFAULT_SLOT_SHARING_GROUP;
    slots.set(group, Math.max(slots.get(group) ?? 0, v.parallelism));
  }
  return slots;
}

/** The number of slots the job needs: the sum over its slot-sharing groups of each group's highest parallelism. */
export function requiredSlots(jobGraph: JobGraphSpec): number {
  let total = 0;
  for (const n of slotsPerGroup(jobGraph).values()) total += n;
  return total;
}
