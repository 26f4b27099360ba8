// A job's plan as a graph laid out left to right by dagre: each vertex shows its name,
// parallelism, records per second in and out and watermark lag, coloured by busy/backpressure.

import dagre from "@dagrejs/dagre";
import { useMemo } from "preact/hooks";
import type { JobDetails, VertexMetrics, VertexView } from "../../src/observability/views.ts";
import { busyColour, duration, rate, watermarkLag } from "./format.ts";

type PlanView = JobDetails["plan"];
type EdgeView = PlanView["edges"][number];

const WIDTH = 240;

/** Room for the name (wrapped, about 30 characters a line) and three lines of figures. */
function heightOf(vertex: VertexView): number {
  return 66 + 17 * Math.min(4, Math.ceil(vertex.name.length / 30));
}

interface Layout {
  width: number;
  height: number;
  nodes: Map<string, { x: number; y: number }>;
  edges: { id: string; points: { x: number; y: number }[]; label: string }[];
}

function layout(plan: PlanView): Layout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: "LR", nodesep: 28, ranksep: 90, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const vertex of plan.vertices) graph.setNode(vertex.id, { width: WIDTH, height: heightOf(vertex) });
  for (const edge of plan.edges) graph.setEdge(edge.source, edge.target, {}, edge.id);
  dagre.layout(graph);
  const nodes = new Map(plan.vertices.map((v) => [v.id, { x: graph.node(v.id).x, y: graph.node(v.id).y }]));
  const edges = plan.edges.map((e) => ({ id: e.id, points: graph.edge(e.source, e.target, e.id).points ?? [], label: edgeLabel(e) }));
  const { width = WIDTH, height = 100 } = graph.graph();
  return { width, height, nodes, edges };
}

/** How records cross the edge: its partitioner, and the side output it carries if any. */
function edgeLabel(edge: EdgeView): string {
  return edge.sideOutput ? `${edge.partitioner} (${edge.sideOutput})` : edge.partitioner;
}

export function JobGraph({ plan, now, onSelect, selected }: { plan: PlanView; now: number; selected?: string; onSelect: (vertexId: string) => void }) {
  // The shape of a running job never changes: lay it out once per set of vertices and edges (`shape`).
  const shape = JSON.stringify([plan.vertices.map((v) => v.id), plan.edges.map((e) => [e.source, e.target, e.id])]);
  const laid = useMemo(() => layout(plan), [shape]);
  return (
    <svg class="job-graph" width={laid.width} height={laid.height} viewBox={`0 0 ${laid.width} ${laid.height}`} role="img" aria-label="job graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#667" />
        </marker>
      </defs>
      {laid.edges.map((edge) => (
        <g key={edge.id} class="edge">
          <polyline points={edge.points.map((p) => `${p.x},${p.y}`).join(" ")} fill="none" stroke="#667" stroke-width="1.5" marker-end="url(#arrow)" />
          {edge.points.length > 1 && (
            <text x={(edge.points[0].x + edge.points[edge.points.length - 1].x) / 2} y={(edge.points[0].y + edge.points[edge.points.length - 1].y) / 2 - 6} text-anchor="middle" class="edge-label">
              {edge.label}
            </text>
          )}
        </g>
      ))}
      {plan.vertices.map((vertex) => (
        <VertexBox key={vertex.id} vertex={vertex} at={laid.nodes.get(vertex.id)!} now={now} selected={vertex.id === selected} onSelect={onSelect} />
      ))}
    </svg>
  );
}

function VertexBox({ vertex, at, now, selected, onSelect }: { vertex: VertexView; at: { x: number; y: number }; now: number; selected: boolean; onSelect: (id: string) => void }) {
  const m: VertexMetrics = vertex.metrics;
  const colour = busyColour(m.busyMsPerSecond, m.backPressuredMsPerSecond);
  const height = heightOf(vertex);
  return (
    <foreignObject x={at.x - WIDTH / 2} y={at.y - height / 2} width={WIDTH} height={height}>
      <button
        type="button"
        class={selected ? "vertex selected" : "vertex"}
        data-vertex-id={vertex.id}
        style={{ background: colour.fill, color: colour.text }}
        title={`busy ${duration(m.busyMsPerSecond)}/s, backpressured ${duration(m.backPressuredMsPerSecond)}/s`}
        onClick={() => onSelect(vertex.id)}
      >
        <div class="vertex-name">{vertex.name}</div>
        <div class="vertex-parallelism">parallelism {vertex.parallelism}</div>
        <div class="vertex-rates">
          in <span class="records-in-rate">{rate(m.recordsInPerSecond)}</span> · out <span class="records-out-rate">{rate(m.recordsOutPerSecond)}</span>
        </div>
        <div class="vertex-watermark">{watermarkLag(m.outputWatermark ?? m.inputWatermark, now)}</div>
      </button>
    </foreignObject>
  );
}
