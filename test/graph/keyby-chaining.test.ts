// When a keyBy edge is chained: both sides at parallelism 1 send every record to the one consumer,
// so the keyed operator joins its input's vertex (no channel, no codec) — unless anything else
// would keep them apart (parallelism, maxParallelism, slot-sharing group, chaining hints).
// Graphs are built through the DataStream API, as a user would; nothing runs.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";
import { SlidingEventTimeWindows, WatermarkStrategy } from "../../src/index.ts";

const discard = () => {};

function shape(env: StreamExecutionEnvironment) {
  const graph: JobGraphSpec = buildJobGraph(env.graph, env.jobConfig("test job"));
  const name = (id: string) => graph.vertices.find((v) => v.id === id)!.name;
  return {
    vertices: graph.vertices.map((v) => `${v.name} ×${v.parallelism}`),
    edges: graph.edges.map((e) => `${name(e.source)} =${e.partitioner.kind}=> ${name(e.target)}`),
  };
}

function keyedSum(parallelism: number): StreamExecutionEnvironment {
  return new StreamExecutionEnvironment({ parallelism });
}

describe("chaining a keyBy edge", () => {
  it("chains a keyBy between two sides of parallelism 1 into one vertex, named after all its operators", () => {
    const env = keyedSum(1);
    env.fromSequence(1, 10).map((x) => ({ k: x % 3, n: 1 })).keyBy((r) => r.k).sum("n").addSink(discard);
    expect(shape(env)).toEqual({ vertices: ["Sequence -> Map -> Aggregate(sum) -> Sink ×1"], edges: [] });
  });

  it("chains the window of case (d): timestamps → keyBy → sliding window → sink", () => {
    const env = keyedSum(1);
    env
      .fromSequence(0, 100)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x))
      .keyBy((x) => x % 7)
      .window(SlidingEventTimeWindows.of(40, 10))
      .aggregate({ createAccumulator: () => 0, add: (_x: number, a: number) => a + 1, getResult: (a: number) => a, merge: (a: number, b: number) => a + b })
      .name("count")
      .addSink(discard);
    const { vertices, edges } = shape(env);
    expect(edges).toEqual([]);
    expect(vertices).toHaveLength(1);
    expect(vertices[0]).toMatch(/^Sequence -> Timestamps.* -> count -> Sink ×1$/);
  });

  it("keeps a keyBy at parallelism 2 a hash edge", () => {
    const env = keyedSum(2);
    env.fromSequence(1, 10).keyBy((x) => x % 3).reduce((a, b) => a + b).addSink(discard);
    expect(shape(env).edges).toEqual(["Sequence =hash=> Reduce -> Sink"]);
  });

  it("keeps a keyBy a hash edge when only one side runs at parallelism 1", () => {
    const up = keyedSum(2);
    up.fromSequence(1, 10).keyBy((x) => x % 3).reduce((a, b) => a + b).setParallelism(1).addSink(discard);
    expect(shape(up).edges[0]).toBe("Sequence =hash=> Reduce");
    const down = keyedSum(1);
    down.fromSequence(1, 10).setParallelism(2).keyBy((x) => x % 3).reduce((a, b) => a + b).addSink(discard);
    expect(shape(down).edges).toEqual(["Sequence =hash=> Reduce -> Sink"]);
  });

  it("keeps a keyBy a hash edge when the keyed operator has another maxParallelism (its key groups would change)", () => {
    const env = keyedSum(1).setMaxParallelism(128);
    env.fromSequence(1, 10).keyBy((x) => x % 3).reduce((a, b) => a + b).setMaxParallelism(16).addSink(discard);
    expect(shape(env).edges).toEqual(["Sequence =hash=> Reduce -> Sink"]);
  });

  it("keeps a keyBy a hash edge with disableChaining(), startNewChain() or another slot-sharing group", () => {
    const never = keyedSum(1);
    never.fromSequence(1, 10).keyBy((x) => x % 3).reduce((a, b) => a + b).disableChaining().addSink(discard);
    expect(shape(never).edges).toEqual(["Sequence =hash=> Reduce", "Reduce =forward=> Sink"]);
    const head = keyedSum(1);
    head.fromSequence(1, 10).keyBy((x) => x % 3).reduce((a, b) => a + b).startNewChain().addSink(discard);
    expect(shape(head).edges).toEqual(["Sequence =hash=> Reduce -> Sink"]);
    const group = keyedSum(1);
    group.fromSequence(1, 10).keyBy((x) => x % 3).reduce((a, b) => a + b).slotSharingGroup("keyed").addSink(discard);
    expect(shape(group).edges).toEqual(["Sequence =hash=> Reduce -> Sink"]);
  });

  it("keeps other partitioners at parallelism 1 as network edges (rebalance, shuffle, broadcast)", () => {
    const env = keyedSum(1);
    env.fromSequence(1, 10).rebalance().map((x) => x).addSink(discard);
    expect(shape(env).edges).toEqual(["Sequence =rebalance=> Map -> Sink"]);
  });
});
