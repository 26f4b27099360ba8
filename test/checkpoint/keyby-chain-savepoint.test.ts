// A keyBy edge between two sides of parallelism 1 is chained (one subtask, no channel). Chained or
// not, a keyed job must give the same results, and its keyed state must stay per operator uid and
// key group: a savepoint taken chained at parallelism 1 resumes unchained at 2, and back at 1,
// with every key's running count seen exactly once up to its exact total.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from "../../src/index.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount as Count } from "../fixtures/running-counts.ts";
import type { CollectedStream } from "../../src/api/data-stream.ts";
import type { RestoreSettings } from "../../src/messages/schema.ts";
import { heldSource } from "./held-source.ts";

const KEYS = 13;
const EVENTS = 6_000;
const dir = mkdtempSync(join(tmpdir(), "weir-keyby-chain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How many vertices the job has, and how many of its edges are keyBy (hash) edges. */
function plan(env: StreamExecutionEnvironment): { vertices: number; hashEdges: number } {
  const graph = buildJobGraph(env.graph, env.jobConfig("plan"));
  return { vertices: graph.vertices.length, hashEdges: graph.edges.filter((e) => e.partitioner.kind === "hash").length };
}

/** A tumbling event-time window count per key over 0..EVENTS-1 (timestamp = value), chained or with the window starting its own chain. */
function windowCounts(chained: boolean): { env: StreamExecutionEnvironment; out: CollectedStream<string> } {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  const counted = env
    .fromSequence(0, EVENTS - 1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x))
    .keyBy((x) => x % KEYS)
    .window(TumblingEventTimeWindows.of(250))
    .process<string>((key, context, elements, out) => out.collect(`${key}@${context.window().start}:${elements.length}`));
  const out = (chained ? counted : counted.startNewChain()).collect();
  return { env, out };
}

/** The same windows, counted from the input alone. */
function expectedWindowCounts(): string[] {
  const counts = new Map<string, number>();
  for (const x of range(EVENTS)) {
    const id = `${x % KEYS}@${x - (x % 250)}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts].map(([id, n]) => `${id}:${n}`).sort();
}

/** The running-count job at `parallelism`; its source emits the numbers below `upTo`, then stays open unless that is the end. */
function countingJob(parallelism: number, upTo: number, restoreFrom?: RestoreSettings): { env: StreamExecutionEnvironment; out: CollectedStream<Count> } {
  const env = new StreamExecutionEnvironment({ parallelism, restoreFrom });
  const out = env
    .fromSource(heldSource({ count: EVENTS, holdFrom: upTo, release: () => false, end: () => upTo >= EVENTS }), "Numbers")
    .uid("numbers")
    .keyBy((v) => v % KEYS)
    .process(new RunningCount())
    .uid("counter")
    .collect();
  return { env, out };
}

async function untilCollected(out: CollectedStream<Count>, n: number): Promise<void> {
  while (out.values.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("a chained keyBy edge at parallelism 1, embedded", () => {
  it("gives the same window counts chained as through a channel, and both match the input", async () => {
    const chained = windowCounts(true);
    const unchained = windowCounts(false);
    expect(plan(chained.env)).toEqual({ vertices: 1, hashEdges: 0 });
    expect(plan(unchained.env)).toEqual({ vertices: 2, hashEdges: 1 });
    await chained.env.execute("window-chained");
    await unchained.env.execute("window-unchained");
    const expected = expectedWindowCounts();
    expect([...chained.out.values].sort()).toEqual(expected);
    expect([...unchained.out.values].sort()).toEqual(expected);
  });

  it("takes a savepoint chained at 1, resumes unchained at 2, then chained at 1 again: lost 0, duplicated 0", async () => {
    const run1 = countingJob(1, 2_000);
    expect(plan(run1.env)).toEqual({ vertices: 1, hashEdges: 0 });
    const client1 = await run1.env.executeAsync("chained-1");
    await untilCollected(run1.out, 2_000);
    const first = await client1.stopWithSavepoint(dir);
    await client1.result;

    const run2 = countingJob(2, 4_000, { location: first, allowNonRestoredState: false });
    expect(plan(run2.env)).toEqual({ vertices: 2, hashEdges: 1 });
    const client2 = await run2.env.executeAsync("unchained-2");
    await untilCollected(run2.out, 2_000);
    const second = await client2.stopWithSavepoint(dir);
    await client2.result;

    const run3 = countingJob(1, EVENTS, { location: second, allowNonRestoredState: false });
    await run3.env.execute("chained-1-again");

    const all = [...run1.out.values, ...run2.out.values, ...run3.out.values];
    const totals = totalsPerKey(range(EVENTS), KEYS);
    expect({ ...tally(all, totals), results: all.length }).toEqual({ lost: 0, duplicated: 0, results: EVENTS });
    // Each run did its share, so each savepoint held real keyed state and the source's position.
    expect([run1.out.values.length, run2.out.values.length, run3.out.values.length]).toEqual([2_000, 2_000, 2_000]);
    const finalCounts = new Map<number, number>();
    for (const { key, count } of run3.out.values) finalCounts.set(key, Math.max(finalCounts.get(key) ?? 0, count));
    expect(finalCounts).toEqual(totals);
  });
});
