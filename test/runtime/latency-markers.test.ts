// Latency markers: sources emit them at the configured interval, they travel in-band around
// operators, and sinks turn them into a latency histogram — without disturbing the records.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";

function job(env: StreamExecutionEnvironment, sink: (n: number) => void) {
  env
    .fromGenerator((i) => i, { count: 3000, ratePerSecond: 15_000 })
    .rebalance()
    .map((n) => n * 2)
    .keyBy((n) => n % 5)
    .addSink(sink);
  return buildJobGraph(env.graph, env.jobConfig("latency"));
}

async function run(env: StreamExecutionEnvironment, sink: (n: number) => void) {
  const jobGraph = job(env, sink);
  const cluster = new MiniCluster({ slots: 2 });
  try {
    await cluster.execute({ jobGraph, streamGraph: env.graph, collectors: new Map() });
  } finally {
    await cluster.close();
  }
  return { jobGraph, metrics: cluster.metrics };
}

describe("latency markers", () => {
  it("reach every sink subtask's histogram, labelled by sink and source, while the records stay exact", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 }).setLatencyTrackingInterval(10);
    let sum = 0;
    let count = 0;
    const { jobGraph, metrics } = await run(env, (n) => {
      sum += n;
      count += 1;
    });
    expect(count).toBe(3000);
    expect(sum).toBe(2 * ((2999 * 3000) / 2));
    const source = jobGraph.vertices.find((v) => v.isSource)!.id;
    const sink = jobGraph.vertices.at(-1)!.id;
    const histograms = metrics.histogramsOf("weir_latency_ms", { sink, source });
    expect(histograms.length).toBeGreaterThan(0);
    const observed = histograms.reduce((n, h) => n + h.count, 0);
    expect(observed).toBeGreaterThan(0);
    for (const h of histograms) expect(h.min).toBeGreaterThanOrEqual(0);
  });

  it("are off by default", async () => {
    const { jobGraph, metrics } = await run(new StreamExecutionEnvironment({ parallelism: 2 }), () => undefined);
    expect(jobGraph.config.latencyTrackingIntervalMs).toBeUndefined();
    expect(metrics.histogramsOf("weir_latency_ms")).toEqual([]);
  });
});
