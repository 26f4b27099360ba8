// From user code to job graph: which operators chain into one vertex, which edges cross the
// network and with which partitioner, and the digest workers use to check they rebuilt the same job.
// Graphs are built through the DataStream API, as a user would; nothing runs.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { OutputTag } from "../../src/core/output-tag.ts";
import { KeyedProcessFunction, ProcessFunction } from "../../src/core/process-functions.ts";
import { buildJobGraph, requiredSlots } from "../../src/graph/job-graph.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";

const discard = () => {};

function jobGraphOf(env: StreamExecutionEnvironment): JobGraphSpec {
  return buildJobGraph(env.graph, env.jobConfig("test job"));
}

/** The job graph as a short picture: vertex names with parallelism, and edges with partitioners. */
function shape(graph: JobGraphSpec) {
  const name = (id: string) => graph.vertices.find((v) => v.id === id)!.name;
  return {
    vertices: graph.vertices.map((v) => `${v.name} ×${v.parallelism}`),
    edges: graph.edges.map((e) => `${name(e.source)} =${e.partitioner.kind}=> ${name(e.target)}`),
  };
}

describe("operator chaining", () => {
  it("chains source → map → filter → sink at equal parallelism into one vertex", () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1, 2, 3).map((x) => x * 2).filter((x) => x > 2).addSink(discard);
    const graph = jobGraphOf(env);
    expect(shape(graph)).toEqual({ vertices: ["Elements -> Map -> Filter -> Sink ×1"], edges: [] });
    expect(graph.vertices[0]).toMatchObject({ id: "v1", nodes: [1, 2, 3, 4], isSource: true });
  });

  it("chains a parallel pipeline into one vertex with the environment's parallelism", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    env.fromSequence(1, 100).map((x) => x + 1).filter((x) => x % 2 === 0).print();
    expect(shape(jobGraphOf(env))).toEqual({ vertices: ["Sequence -> Map -> Filter -> Print ×4"], edges: [] });
  });

  it("breaks the chain at keyBy, with a hash edge into the keyed operator", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(1, 10)
      .map((x) => ({ word: `w${x % 3}`, count: 1 }))
      .keyBy((r) => r.word)
      .sum("count")
      .addSink(discard);
    const graph = jobGraphOf(env);
    expect(shape(graph)).toEqual({
      vertices: ["Sequence -> Map ×2", "Aggregate(sum) -> Sink ×2"],
      edges: ["Sequence -> Map =hash=> Aggregate(sum) -> Sink"],
    });
    expect(graph.edges[0]).toMatchObject({ sourceNode: 2, targetNode: 3, inputIndex: 0 });
  });

  it("breaks the chain where parallelism changes, and the default partitioner becomes rebalance", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    env.fromElements("a", "b").map((s) => s.toUpperCase()).addSink(discard);
    expect(shape(jobGraphOf(env))).toEqual({
      vertices: ["Elements ×1", "Map -> Sink ×3"],
      edges: ["Elements =rebalance=> Map -> Sink"],
    });
  });

  it("breaks the chain where setParallelism changes it mid-pipeline", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(0, 9).map((x) => x).setParallelism(4).filter(() => true).setParallelism(4).addSink(discard);
    expect(shape(jobGraphOf(env))).toEqual({
      vertices: ["Sequence ×2", "Map -> Filter ×4", "Sink ×2"],
      edges: ["Sequence =rebalance=> Map -> Filter", "Map -> Filter =rebalance=> Sink"],
    });
  });

  it("breaks the chain at an explicit partitioner even when parallelism matches", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(0, 9).rebalance().map((x) => x).shuffle().filter(() => true).addSink(discard);
    expect(shape(jobGraphOf(env))).toEqual({
      vertices: ["Sequence ×2", "Map ×2", "Filter -> Sink ×2"],
      edges: ["Sequence =rebalance=> Map", "Map =shuffle=> Filter -> Sink"],
    });
  });

  it("keeps an explicit forward() chained at equal parallelism", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(0, 9).forward().map((x) => x).addSink(discard);
    expect(shape(jobGraphOf(env))).toEqual({ vertices: ["Sequence -> Map -> Sink ×2"], edges: [] });
  });

  it("refuses an explicit forward() between different parallelisms", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromElements(1).forward().map((x) => x).addSink(discard);
    expect(() => jobGraphOf(env)).toThrow("forward() between Elements (parallelism 1) and Map -> Sink (2) needs equal parallelism: use rebalance() or rescale()");
  });

  it("starts a new chain at startNewChain(), and chains what follows onto it (Flink's HEAD)", () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1).map((x) => x).name("a").map((x) => x).name("b").startNewChain().map((x) => x).name("c").addSink(discard);
    expect(shape(jobGraphOf(env))).toEqual({
      vertices: ["Elements -> a ×1", "b -> c -> Sink ×1"],
      edges: ["Elements -> a =forward=> b -> c -> Sink"],
    });
  });

  it("chains nothing to an operator with disableChaining(), upstream or downstream (Flink's NEVER)", () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1).map((x) => x).name("a").map((x) => x).name("b").disableChaining().map((x) => x).name("c").addSink(discard);
    expect(shape(jobGraphOf(env))).toEqual({
      vertices: ["Elements -> a ×1", "b ×1", "c -> Sink ×1"],
      edges: ["Elements -> a =forward=> b", "b =forward=> c -> Sink"],
    });
  });

  it("keeps a source with disableChaining() alone in its vertex", () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1).disableChaining().map((x) => x).addSink(discard);
    expect(shape(jobGraphOf(env)).vertices).toEqual(["Elements ×1", "Map -> Sink ×1"]);
  });

  it("keeps a sink with disableChaining() out of its input's chain", () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1).map((x) => x).addSink(discard).disableChaining();
    expect(shape(jobGraphOf(env)).vertices).toEqual(["Elements -> Map ×1", "Sink ×1"]);
  });

  it("makes an operator fed by a union the head of a new vertex, with one edge per input", () => {
    const env = new StreamExecutionEnvironment();
    const left = env.fromElements(1, 2).name("left");
    const right = env.fromElements(3, 4).name("right");
    left.union(right).map((x) => x).addSink(discard);
    const graph = jobGraphOf(env);
    expect(shape(graph)).toEqual({
      vertices: ["left ×1", "right ×1", "Map -> Sink ×1"],
      edges: ["left =forward=> Map -> Sink", "right =forward=> Map -> Sink"],
    });
    expect(graph.edges.map((e) => e.inputIndex)).toEqual([0, 0]);
  });

  it("makes a two-input operator the head of a new vertex, and tells its inputs apart by index", () => {
    const env = new StreamExecutionEnvironment();
    const numbers = env.fromElements(1, 2).name("numbers");
    const words = env.fromElements("a", "b").name("words");
    numbers.connect(words).map({ map1: (n: number) => String(n), map2: (w: string) => w }).addSink(discard);
    const graph = jobGraphOf(env);
    expect(shape(graph)).toEqual({
      vertices: ["numbers ×1", "words ×1", "CoMap -> Sink ×1"],
      edges: ["numbers =forward=> CoMap -> Sink", "words =forward=> CoMap -> Sink"],
    });
    expect(graph.edges.map((e) => e.inputIndex)).toEqual([0, 1]);
  });

  it("lets one operator feed two chained branches, with no edges between them", () => {
    const env = new StreamExecutionEnvironment();
    const source = env.fromElements(1, 2);
    source.map((x) => x).name("a").addSink(discard);
    source.map((x) => x).name("b").addSink(discard);
    const graph = jobGraphOf(env);
    expect(shape(graph)).toEqual({ vertices: ["Elements -> a -> Sink -> b -> Sink ×1"], edges: [] });
    expect(graph.vertices[0].nodes).toEqual([1, 2, 3, 4, 5]);
  });

  it("records the side output an edge carries", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const late = new OutputTag<number>("late");
    const main = env.fromSequence(1, 10).process(
      new (class extends ProcessFunction<number, number> {
        processElement(value: number, ctx: { output<X>(tag: OutputTag<X>, value: X): void }, out: { collect(v: number): void }) {
          if (value > 5) ctx.output(late, value);
          else out.collect(value);
        }
      })(),
    );
    main.getSideOutput(late).rebalance().addSink(discard);
    const graph = jobGraphOf(env);
    expect(graph.edges).toHaveLength(1);
    expect(graph.edges[0]).toMatchObject({ sideOutput: "late", partitioner: { kind: "rebalance" }, sourceNode: 2 });
  });
});

describe("vertex settings", () => {
  it("takes max parallelism and buffer timeout from the environment, unless an operator sets its own", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 }).setMaxParallelism(64).setBufferTimeout(50);
    env.fromSequence(1, 10).map((x) => x).setBufferTimeout(5).rebalance().map((x) => x).setMaxParallelism(16).addSink(discard);
    const graph = jobGraphOf(env);
    expect(graph.vertices.map((v) => [v.maxParallelism, v.bufferTimeoutMs])).toEqual([
      [64, 5],
      [16, 50],
    ]);
    expect(graph.config).toEqual({ jobName: "test job", parallelism: 2, maxParallelism: 64, bufferTimeoutMs: 50 });
  });

  it("marks only vertices headed by a source as sources", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(1, 10).keyBy((x) => x % 2).reduce((a, b) => a + b).addSink(discard);
    expect(jobGraphOf(env).vertices.map((v) => v.isSource)).toEqual([true, false]);
  });

  it("needs as many slots as its highest parallelism", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    env.fromSequence(1, 10).map((x) => x).setParallelism(5).addSink(discard).setParallelism(2);
    const graph = jobGraphOf(env);
    expect(graph.vertices.map((v) => v.parallelism)).toEqual([3, 5, 2]);
    expect(requiredSlots(graph)).toBe(5);
  });

  it("refuses setParallelism(2) on a non-parallel source, pointing to a parallel one", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.fromElements(1, 2).setParallelism(2)).toThrow("Elements is not parallel: setParallelism(2) is not allowed; use a parallel source such as fromSequence or fromGenerator");
    expect(() => env.fromCollection([1]).setParallelism(1)).not.toThrow();
  });

  it("refuses an operator whose parallelism exceeds its max parallelism", () => {
    const env = new StreamExecutionEnvironment();
    env.fromSequence(1, 10).setParallelism(8).setMaxParallelism(4).addSink(discard);
    expect(() => jobGraphOf(env)).toThrow("parallelism 8 exceeds maxParallelism 4");
  });

  it("refuses an empty job", () => {
    expect(() => jobGraphOf(new StreamExecutionEnvironment())).toThrow("the job defines no operators");
  });
});

describe("digest", () => {
  function wordCount(names: { map?: string; parallelism?: number } = {}): JobGraphSpec {
    const env = new StreamExecutionEnvironment({ parallelism: names.parallelism ?? 2 });
    env
      .fromSequence(1, 100)
      .map((x) => ({ word: `w${x % 7}`, n: 1 }))
      .name(names.map ?? "Tokenize")
      .keyBy((r) => r.word)
      .process(
        new (class extends KeyedProcessFunction<string, { word: string; n: number }, number> {
          processElement() {}
        })(),
      )
      .addSink(discard);
    return jobGraphOf(env);
  }

  it("is the same for the same job built twice, as a worker rebuilding it would", () => {
    const a = wordCount();
    const b = wordCount();
    expect(a.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(b.digest).toBe(a.digest);
    expect(b).toEqual(a);
  });

  it("changes when an operator's name changes", () => {
    expect(wordCount({ map: "Split" }).digest).not.toBe(wordCount().digest);
  });

  it("changes when a parallelism changes", () => {
    expect(wordCount({ parallelism: 3 }).digest).not.toBe(wordCount().digest);
  });

  it("changes when a uid is set", () => {
    const plain = new StreamExecutionEnvironment();
    plain.fromElements(1).map((x) => x).addSink(discard);
    const withUid = new StreamExecutionEnvironment();
    withUid.fromElements(1).map((x) => x).uid("my-map").addSink(discard);
    expect(jobGraphOf(withUid).digest).not.toBe(jobGraphOf(plain).digest);
  });

  it("does not depend on the user functions' code", () => {
    const a = new StreamExecutionEnvironment();
    a.fromElements(1).map((x) => x + 1).addSink(discard);
    const b = new StreamExecutionEnvironment();
    b.fromElements(1).map((x) => x * 100).addSink(discard);
    expect(jobGraphOf(b).digest).toBe(jobGraphOf(a).digest);
  });
});
