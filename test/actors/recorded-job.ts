// Records a small keyed job on the embedded cluster with a trace recorder, for the replay tests.
// Frames flush only when full or at end of input (a long buffer timeout), so a replay on a
// simulated clock cuts them exactly as the recorded run did.

import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import type { StreamGraph } from "../../src/graph/stream-graph.ts";
import { systemClock, TraceRecorder, type TraceEntry } from "../../src/testing/index.ts";

export interface RecordedJob {
  jobId: string;
  trace: TraceEntry[];
  streamGraph: StreamGraph;
  results: { k: number; s: number }[];
}

export async function recordKeyedJob(jobId: string): Promise<RecordedJob> {
  const env = new StreamExecutionEnvironment({ parallelism: 2 }).setBufferTimeout(60_000);
  const out = env
    .fromSequence(1, 3000)
    .map((n) => ({ k: n % 10, s: n }))
    .keyBy((r) => r.k)
    .reduce((a, b) => ({ k: a.k, s: a.s + b.s }))
    .collect();
  const recorder = new TraceRecorder(systemClock);
  const cluster = new MiniCluster({ slots: 2, wrapBus: (bus, actor) => recorder.wrap(bus, actor) });
  try {
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("replayed"));
    await cluster.execute({ jobGraph, streamGraph: env.graph, collectors: new Map([[String(jobGraph.vertices.at(-1)!.nodes.at(-1)), out as never]]) }, jobId);
  } finally {
    await cluster.close();
  }
  return { jobId, trace: recorder.entries, streamGraph: env.graph, results: out.values as { k: number; s: number }[] };
}
