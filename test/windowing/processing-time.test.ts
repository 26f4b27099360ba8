// Processing-time windows on the embedded cluster, with real time. Processing-time timers pending
// at the end of input are dropped (as in Flink), so the (gated) source stays open until every
// expected result has arrived; the assertions are on content only, never on timing.
// Exact processing-time behaviour is covered with a simulated clock in window-operator.test.ts.

import { describe, expect, it } from "vitest";
import {
  ContinuousProcessingTimeTrigger,
  GlobalWindows,
  ProcessingTimeSessionWindows,
  StreamExecutionEnvironment,
  TumblingProcessingTimeWindows,
  type AggregateFunction,
} from "../../src/index.ts";
import { gatedSource } from "../api/gated-source.ts";

interface Click {
  user: string;
}

const clicks: Click[] = Array.from({ length: 200 }, (_, i) => ({ user: `u${i % 4}` }));
const totals = new Map<string, number>([...new Set(clicks.map((c) => c.user))].map((u) => [u, clicks.filter((c) => c.user === u).length]));
const count: AggregateFunction<Click, number, number> = { createAccumulator: () => 0, add: (_c, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };

interface WindowCount {
  user: string;
  start: number;
  end: number;
  n: number;
}

/** Resolves once `done()` holds, checking every 10 ms; gives up after `ms` (the assertions then fail). */
async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

function sumPerUser(results: readonly WindowCount[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const r of results) sums.set(r.user, (sums.get(r.user) ?? 0) + r.n);
  return sums;
}

describe("processing-time windows on the embedded cluster", () => {
  it("tumbling windows count every record once, in windows aligned to their size", async () => {
    const gate = gatedSource(clicks);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env
      .fromSource(gate.source, "clicks")
      .keyBy((c) => c.user)
      .window(TumblingProcessingTimeWindows.of(50))
      .aggregate<number, number, WindowCount>(count, (user, ctx, n, o) => o.collect({ user, start: ctx.window().start, end: ctx.window().end, n: n[0] }))
      .collect();
    const job = env.execute();
    await until(() => out.values.reduce((total, r) => total + r.n, 0) >= clicks.length);
    gate.open();
    await job;
    expect(sumPerUser(out.values)).toEqual(totals);
    for (const r of out.values) {
      expect(r.end - r.start).toBe(50);
      expect(r.start % 50).toBe(0);
    }
  });

  it("a continuous processing-time trigger on a global window reports growing counts until all records are in", async () => {
    const gate = gatedSource(clicks);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env
      .fromSource(gate.source, "clicks")
      .keyBy((c) => c.user)
      .window(GlobalWindows.create())
      .trigger(ContinuousProcessingTimeTrigger.of(30))
      .aggregate<number, number, [string, number]>(count, (user, _ctx, n, o) => o.collect([user, n[0]]))
      .collect();
    const job = env.execute();
    const latest = () => new Map(out.values);
    await until(() => [...totals].every(([user, total]) => latest().get(user) === total));
    gate.open();
    await job;
    expect(latest()).toEqual(totals);
    for (const user of totals.keys()) {
      const counts = out.values.filter(([u]) => u === user).map(([, n]) => n);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
    }
  });

  it("processing-time sessions gather a burst of records into one session per key", async () => {
    const gate = gatedSource(clicks);
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env
      .fromSource(gate.source, "clicks")
      .keyBy((c) => c.user)
      .window(ProcessingTimeSessionWindows.withGap(100))
      .process<WindowCount>((user, ctx, elements, o) => o.collect({ user, start: ctx.window().start, end: ctx.window().end, n: elements.length }))
      .collect();
    const job = env.execute();
    await until(() => out.values.reduce((total, r) => total + r.n, 0) >= clicks.length);
    gate.open();
    await job;
    expect(sumPerUser(out.values)).toEqual(totals);
    for (const r of out.values) expect(r.end - r.start).toBeGreaterThanOrEqual(100);
  });
});
