// Where partitioners send records: each test tags records with the producing subtask before the
// partitioner and the consuming subtask after it (rich maps reading their runtime context), and
// checks the placement rule of forward, rebalance, rescale, shuffle, broadcast, global and custom.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment, type DataStream, type MapFunction, type RuntimeContext } from "../../src/index.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { range, sorted } from "./comparisons.ts";

interface Hop {
  value: number;
  from: number;
  to: number;
}

/** A rich map that records the subtask it runs in, into `from` or `to`. */
function tag(field: "from" | "to"): MapFunction<{ value: number; from?: number }, Hop> {
  return {
    subtask: -1,
    open(ctx: RuntimeContext) {
      this.subtask = ctx.subtaskIndex;
    },
    map(r: { value: number; from?: number }): Hop {
      return field === "from" ? { value: r.value, from: this.subtask, to: -1 } : { value: r.value, from: r.from!, to: this.subtask };
    },
  } as MapFunction<{ value: number; from?: number }, Hop> & { subtask: number };
}

/** Builds source(producers) → tag from → partition → tag to(consumers), runs it, returns the hops. */
async function hops(
  producers: number,
  consumers: number,
  count: number,
  partition: (s: DataStream<Hop>) => DataStream<Hop>,
): Promise<{ hops: Hop[]; env: StreamExecutionEnvironment }> {
  const env = new StreamExecutionEnvironment({ parallelism: producers });
  const tagged = env.fromSequence(0, count - 1).map((value) => ({ value })).map(tag("from"));
  const out = await partition(tagged).map(tag("to")).setParallelism(consumers).executeAndCollect();
  return { hops: out, env };
}

function deliveredOnce(result: Hop[], count: number): void {
  expect(sorted(result.map((h) => h.value))).toEqual(range(0, count - 1));
}

function partitionerKinds(env: StreamExecutionEnvironment): string[] {
  return buildJobGraph(env.graph, env.jobConfig()).edges.map((e) => e.partitioner.kind);
}

describe("partitioners", () => {
  it("forward keeps each record in the subtask with the same index", async () => {
    const { hops: out, env } = await hops(3, 3, 300, (s) => s.forward());
    deliveredOnce(out, 300);
    for (const h of out) expect(h.to).toBe(h.from);
    expect(new Set(out.map((h) => h.to)).size).toBe(3);
    // Equal parallelism: the forward edge is chained, no network edge remains before the collect sink.
    expect(partitionerKinds(env)).toEqual([]);
  });

  it("forward across a chain break still sends each record to the same subtask index", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const out = await env
      .fromSequence(0, 299)
      .map((value) => ({ value }))
      .map(tag("from"))
      .forward()
      .map(tag("to"))
      .startNewChain()
      .executeAndCollect();
    deliveredOnce(out, 300);
    for (const h of out) expect(h.to).toBe(h.from);
    expect(partitionerKinds(env)).toContain("forward");
  });

  it("rebalance sends consecutive records of a producer to consecutive subtasks, round robin", async () => {
    const { hops: out } = await hops(1, 3, 300, (s) => s.rebalance());
    deliveredOnce(out, 300);
    const to = new Map(out.map((h) => [h.value, h.to]));
    // fromSequence at parallelism 1 emits 0, 1, 2, … in order: record i goes to (start + i) mod 3.
    const start = to.get(0)!;
    for (let i = 0; i < 300; i++) expect(to.get(i)).toBe((start + i) % 3);
  });

  it("rebalance from several producers spreads every producer's records evenly", async () => {
    const { hops: out } = await hops(2, 4, 400, (s) => s.rebalance());
    deliveredOnce(out, 400);
    for (const producer of [0, 1]) {
      const perConsumer = [0, 0, 0, 0];
      for (const h of out) if (h.from === producer) perConsumer[h.to] += 1;
      expect(perConsumer).toEqual([50, 50, 50, 50]);
    }
  });

  it("rescale from 2 to 4 subtasks sends each producer's records to its own pair of consumers", async () => {
    const { hops: out } = await hops(2, 4, 400, (s) => s.rescale());
    deliveredOnce(out, 400);
    const expectedTargets = new Map([
      [0, [0, 1]],
      [1, [2, 3]],
    ]);
    for (const [producer, targets] of expectedTargets) {
      const reached = sorted([...new Set(out.filter((h) => h.from === producer).map((h) => h.to))]);
      expect(reached).toEqual(targets);
    }
  });

  it("rescale from 4 to 2 subtasks sends producers 0 and 1 to consumer 0, producers 2 and 3 to consumer 1", async () => {
    const { hops: out } = await hops(4, 2, 400, (s) => s.rescale());
    deliveredOnce(out, 400);
    for (const h of out) expect(h.to).toBe(h.from < 2 ? 0 : 1);
  });

  it("shuffle delivers every record exactly once and reaches every consumer", async () => {
    const { hops: out } = await hops(1, 3, 600, (s) => s.shuffle());
    deliveredOnce(out, 600);
    const perConsumer = [0, 0, 0];
    for (const h of out) perConsumer[h.to] += 1;
    for (const n of perConsumer) expect(n).toBeGreaterThan(100);
  });

  it("broadcast delivers every record to every consumer subtask", async () => {
    const { hops: out } = await hops(2, 3, 100, (s) => s.broadcast());
    expect(out).toHaveLength(300);
    for (const consumer of [0, 1, 2]) {
      expect(sorted(out.filter((h) => h.to === consumer).map((h) => h.value))).toEqual(range(0, 99));
    }
  });

  it("global sends every record to subtask 0", async () => {
    const { hops: out } = await hops(3, 3, 300, (s) => s.global());
    deliveredOnce(out, 300);
    for (const h of out) expect(h.to).toBe(0);
    expect(new Set(out.map((h) => h.from)).size).toBe(3);
  });

  it("partitionCustom sends each record to the partition its function returns for the record's key", async () => {
    const calls: [number, number][] = [];
    const { hops: out } = await hops(2, 3, 300, (s) =>
      s.partitionCustom(
        (key: number, numPartitions: number) => {
          calls.push([key, numPartitions]);
          return key % numPartitions;
        },
        (h) => Math.floor(h.value / 10),
      ),
    );
    deliveredOnce(out, 300);
    for (const h of out) expect(h.to).toBe(Math.floor(h.value / 10) % 3);
    expect(new Set(calls.map(([, n]) => n))).toEqual(new Set([3]));
    expect(sorted(calls.map(([k]) => k))).toEqual(sorted(range(0, 299).map((v) => Math.floor(v / 10))));
  });

  it("a custom partitioner returning a partition out of range fails the job with a clear message", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(0, 9)
      .partitionCustom((_key: number, n: number) => n, (v) => v)
      .map((v) => v)
      .collect();
    await expect(env.execute()).rejects.toThrow("custom partitioner returned 2; it must return an integer in [0, 2)");
  });

  it("without a partitioner, a change of parallelism rebalances and equal parallelism forwards", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out: Hop[] = [];
    env
      .fromSequence(0, 99)
      .map((value) => ({ value }))
      .map(tag("from"))
      .map(tag("to"))
      .setParallelism(4)
      .addSink((h: Hop) => out.push(h))
      .setParallelism(4);
    await env.execute();
    // source → map → map (parallelism 2) are chained; → map (4) rebalances; → sink (4) is chained.
    expect(partitionerKinds(env)).toEqual(["rebalance"]);
    deliveredOnce(out, 100);
    expect(sorted([...new Set(out.map((h) => h.to))])).toEqual([0, 1, 2, 3]);
  });
});
