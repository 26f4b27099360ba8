// Per-operator settings: name, uid, parallelism, chaining and buffer timeout. Each test checks
// that the job's results stay correct and that the job graph (buildJobGraph) changed as the
// setting says: which operators share a vertex, with what parallelism and timeout.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment, type RuntimeContext } from "../../src/index.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { range, sorted } from "./comparisons.ts";
import { tagSubtask } from "./subtask-tagging.ts";

/** The job graph's vertices, each as the names of the operators chained into it. */
function chains(env: StreamExecutionEnvironment): string[][] {
  return buildJobGraph(env.graph, env.jobConfig()).vertices.map((v) => v.nodes.map((id) => env.graph.node(id).name));
}

function vertices(env: StreamExecutionEnvironment) {
  return buildJobGraph(env.graph, env.jobConfig()).vertices;
}

/** source → double → plus one → collect; `configure` adjusts the two maps. */
function pipeline(parallelism: number, configure: (double: ReturnType<typeof doubleOf>, plusOne: ReturnType<typeof doubleOf>) => void = () => undefined) {
  const env = new StreamExecutionEnvironment({ parallelism });
  const double = doubleOf(env);
  const plusOne = double.map((n) => n + 1).name("plus-one");
  configure(double, plusOne);
  const out = plusOne.collect();
  return { env, out };
}

function doubleOf(env: StreamExecutionEnvironment) {
  return env.fromSequence(1, 500).name("numbers").map((n) => n * 2).name("double");
}

const EXPECTED = range(1, 500).map((n) => n * 2 + 1);

describe("chaining", () => {
  it("by default operators with forward edges and equal parallelism share one vertex", async () => {
    const { env, out } = pipeline(2);
    expect(chains(env)).toEqual([["numbers", "double", "plus-one", "CollectSink"]]);
    expect(vertices(env)[0].name).toBe("numbers -> double -> plus-one -> CollectSink");
    await env.execute();
    expect(sorted(out.values)).toEqual(EXPECTED);
  });

  it("startNewChain() starts a new vertex at the operator and chains what follows it", async () => {
    const { env, out } = pipeline(2, (_double, plusOne) => plusOne.startNewChain());
    expect(chains(env)).toEqual([
      ["numbers", "double"],
      ["plus-one", "CollectSink"],
    ]);
    await env.execute();
    expect(sorted(out.values)).toEqual(EXPECTED);
  });

  it("disableChaining() puts the operator in a vertex of its own", async () => {
    const { env, out } = pipeline(2, (double) => double.disableChaining());
    expect(chains(env)).toEqual([["numbers"], ["double"], ["plus-one", "CollectSink"]]);
    await env.execute();
    expect(sorted(out.values)).toEqual(EXPECTED);
  });

  it("disableChaining() on a sink separates it from its input", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const received: number[] = [];
    env.fromSequence(1, 50).map((n) => -n).name("negate").addSink((n) => received.push(n)).name("array-sink").disableChaining();
    expect(chains(env)).toEqual([["Sequence", "negate"], ["array-sink"]]);
    await env.execute();
    expect(sorted(received)).toEqual(range(1, 50).map((n) => -n).sort((a, b) => a - b));
  });

  it("a keyBy always breaks the chain, even at equal parallelism", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const totals = new Map<number, number>();
    env
      .fromSequence(1, 10)
      .map((n): [number, number] => [n % 2, n])
      .keyBy((t) => t[0])
      .sum(1)
      .addSink(([k, total]) => totals.set(k, Math.max(totals.get(k) ?? 0, total)));
    const graph = buildJobGraph(env.graph, env.jobConfig());
    expect(graph.vertices).toHaveLength(2);
    expect(graph.edges.map((e) => e.partitioner.kind)).toEqual(["hash"]);
    await env.execute();
    expect(totals).toEqual(new Map([[0, 2 + 4 + 6 + 8 + 10], [1, 1 + 3 + 5 + 7 + 9]]));
  });
});

describe("parallelism", () => {
  it("setParallelism() on an operator gives it that many subtasks and splits the chain", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const tagged = env.fromSequence(0, 299).map(tagSubtask<number>()).name("wide").setParallelism(5).collect();
    const graph = buildJobGraph(env.graph, env.jobConfig());
    expect(graph.vertices.map((v) => v.parallelism)).toEqual([2, 5, 2]);
    await env.execute();
    expect(sorted(tagged.values.map((t) => t.value))).toEqual(range(0, 299));
    expect(sorted([...new Set(tagged.values.map((t) => t.subtask))])).toEqual([0, 1, 2, 3, 4]);
  });

  it("the environment's parallelism is the default for every operator", () => {
    const env = new StreamExecutionEnvironment().setParallelism(3);
    env.fromSequence(1, 10).map((n) => n).addSink(() => undefined);
    expect(env.getParallelism()).toBe(3);
    expect(vertices(env).map((v) => v.parallelism)).toEqual([3]);
  });

  it("setMaxParallelism() on an operator reaches its runtime context", async () => {
    const seen: number[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(1, 10)
      .map({
        open(ctx: RuntimeContext) {
          seen.push(ctx.maxParallelism);
        },
        map: (n: number) => n,
      })
      .setMaxParallelism(16)
      .startNewChain()
      .addSink(() => undefined);
    expect(vertices(env).map((v) => v.maxParallelism)).toEqual([128, 16]);
    await env.execute();
    expect(seen).toEqual([16, 16]);
  });
});

describe("names and uids", () => {
  it("name() names the operator in the job graph and in the runtime context's task name", async () => {
    const taskNames: string[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(1, 10)
      .name("source-of-numbers")
      .map({
        open(ctx: RuntimeContext) {
          taskNames.push(ctx.taskName);
        },
        map: (n: number) => n,
      })
      .name("my-mapper")
      .addSink(() => undefined)
      .name("my-sink");
    expect(vertices(env).map((v) => v.name)).toEqual(["source-of-numbers -> my-mapper -> my-sink"]);
    await env.execute();
    expect(taskNames).toEqual(["source-of-numbers -> my-mapper -> my-sink", "source-of-numbers -> my-mapper -> my-sink"]);
  });

  it("uid() is part of the job graph's identity and does not change results", async () => {
    const build = (uid: string) => {
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      const out = env.fromSequence(1, 100).uid("numbers").map((n) => n % 7).uid(uid).collect();
      return { env, out };
    };
    const a = build("mod-seven");
    const b = build("mod-seven-v2");
    const digest = (env: StreamExecutionEnvironment) => buildJobGraph(env.graph, env.jobConfig()).digest;
    expect(digest(a.env)).toBe(digest(build("mod-seven").env));
    expect(digest(a.env)).not.toBe(digest(b.env));
    await a.env.execute();
    expect(sorted(a.out.values)).toEqual(sorted(range(1, 100).map((n) => n % 7)));
  });

  it("name() and uid() reject values they cannot use", () => {
    const env = new StreamExecutionEnvironment();
    const stream = env.fromElements(1);
    expect(() => stream.name("")).toThrow("name() needs a non-empty name");
    expect(() => stream.uid("has spaces")).toThrow('uid "has spaces" must use only letters, digits, \'-\' and \'_\'');
  });
});

describe("buffer timeout", () => {
  it("setBufferTimeout(0) on the environment flushes every batch and keeps results exact", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 }).setBufferTimeout(0);
    const out = env
      .fromSequence(1, 3000)
      .rebalance()
      .map((n) => n * 5)
      .keyBy((n) => n % 10)
      .map((n) => n - 1)
      .collect();
    expect(vertices(env).every((v) => v.bufferTimeoutMs === 0)).toBe(true);
    await env.execute();
    expect(sorted(out.values)).toEqual(range(1, 3000).map((n) => n * 5 - 1));
  });

  it("setBufferTimeout(0) on one operator applies to its vertex only", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env.fromSequence(1, 1000).map((n) => n + 1).setBufferTimeout(0).rebalance().map((n) => -n).collect();
    expect(vertices(env).map((v) => v.bufferTimeoutMs)).toEqual([0, 100]);
    await env.execute();
    expect(sorted(out.values)).toEqual(range(1, 1000).map((n) => -(n + 1)).sort((a, b) => a - b));
  });

  it("a negative buffer timeout is rejected", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.setBufferTimeout(-1)).toThrow("setBufferTimeout(-1)");
    expect(() => env.fromSequence(1, 2).setBufferTimeout(-5)).toThrow("setBufferTimeout(-5)");
  });
});
