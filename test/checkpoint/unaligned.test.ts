// Unaligned checkpoints under backpressure: barriers overtake the frames queued ahead of them and
// those frames are stored with the snapshot. A slow keyed stage keeps every channel full; a map
// throws once after checkpoints completed; the keyed counts are still exactly-once (lost = 0,
// duplicated = 0), and the checkpoints did carry in-flight data (counted, not timed).

import { describe, expect, it } from "vitest";
import { EmbeddedExecutor, KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor, type Collector, type KeyedProcessContext, type ValueState } from "../../src/index.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { planRestore } from "../../src/checkpoint/restore-plan.ts";
import { heldSource } from "./held-source.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

// In-flight data can be large under backpressure: checkpoints go to a directory, not into messages.
const dir = mkdtempSync(join(tmpdir(), "weir-unaligned-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = 9;
const EVENTS = 12_000;

interface Padded {
  v: number;
  pad: string;
}

/** Pads records (so few fit a frame and channels fill) and throws once after three completed checkpoints. */
class FailOnce {
  // Shared on purpose by every subtask's copy: reached through a function field, which copies keep.
  private readonly sharedRef: () => { failed: number; completed: number };
  constructor(shared: { failed: number; completed: number }) {
    this.sharedRef = () => shared;
  }
  get shared(): { failed: number; completed: number } {
    return this.sharedRef();
  }
  map(value: number): Padded {
    if (this.shared.failed === 0 && this.shared.completed >= 3) {
      this.shared.failed += 1;
      throw new Error("injected failure under backpressure");
    }
    return { v: value, pad: "x".repeat(400) };
  }
  notifyCheckpointComplete(): void {
    this.shared.completed += 1;
  }
}

/** Counts per key, slowly: about 40 µs a record, so the channels into it stay full. */
class SlowCount extends KeyedProcessFunction<number, Padded, string> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>("count", 0));
  }
  processElement(_v: Padded, ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    const until = performance.now() + 0.04;
    while (performance.now() < until);
    const next = this.count.value()! + 1;
    this.count.update(next);
    out.collect(`${ctx.getCurrentKey()}/${next}`);
  }
}

describe("unaligned checkpoints", () => {
  it("under backpressure, with a failure after completed checkpoints: in-flight data is stored and counts stay exactly-once", async () => {
    const shared = { failed: 0, completed: 0 };
    const metrics = new MetricRegistry();
    const env = new StreamExecutionEnvironment({ parallelism: 2, executor: new EmbeddedExecutor({ metrics }) });
    env.enableCheckpointing(40).getCheckpointConfig().enableUnalignedCheckpoints().setCheckpointStorage(`file://${join(dir, "unaligned")}`);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const out = env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 3, end: () => shared.failed > 0, batch: 500 }), "Numbers")
      .map(new FailOnce(shared))
      .keyBy((r) => r.v % KEYS)
      .process(new SlowCount())
      .collect();
    await env.execute("unaligned");
    expect(shared.failed).toBe(1);
    expect(metrics.sum("weir_checkpoint_inflight_elements_total")).toBeGreaterThan(0);
    const seen = new Map<string, number>();
    for (const r of out.values as string[]) seen.set(r, (seen.get(r) ?? 0) + 1);
    let lost = 0;
    for (let key = 0; key < KEYS; key++) for (let c = 1; c <= EVENTS / KEYS; c++) if (!seen.has(`${key}/${c}`)) lost += 1;
    const duplicated = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
    expect({ lost, duplicated, results: out.values.length }).toEqual({ lost: 0, duplicated: 0, results: EVENTS });
  });

  it("with an aligned-checkpoint timeout, slow alignments switch to unaligned; after a failure counts stay exactly-once", async () => {
    const shared = { failed: 0, completed: 0 };
    const metrics = new MetricRegistry();
    const env = new StreamExecutionEnvironment({ parallelism: 2, executor: new EmbeddedExecutor({ metrics }) });
    env.enableCheckpointing(40).getCheckpointConfig().enableUnalignedCheckpoints().setAlignedCheckpointTimeout(1).setCheckpointStorage(`file://${join(dir, "timeout")}`);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const out = env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 3, end: () => shared.failed > 0, batch: 500 }), "Numbers")
      // Skewed: the second source subtask (odd numbers) keeps one in five, so its channels stay short
      // while the first's are full, and each consumer's two barriers arrive far apart.
      .filter((v) => v % 2 === 0 || v % 10 === 1)
      .map(new FailOnce(shared))
      .keyBy((r) => r.v % KEYS)
      .process(new SlowCount())
      .collect();
    await env.execute("aligned timeout");
    expect(shared.failed).toBe(1);
    expect(metrics.sum("weir_checkpoint_alignment_timeouts_total")).toBeGreaterThan(0);
    const expected: string[] = [];
    const perKey = new Map<number, number>();
    for (let v = 0; v < EVENTS; v++) if (v % 2 === 0 || v % 10 === 1) perKey.set(v % KEYS, (perKey.get(v % KEYS) ?? 0) + 1);
    for (const [key, n] of perKey) for (let c = 1; c <= n; c++) expected.push(`${key}/${c}`);
    expect([...(out.values as string[])].sort()).toEqual(expected.sort());
  });

  it("enableUnalignedCheckpoints needs exactly-once mode, and an unaligned checkpoint does not restore at another parallelism", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.enableCheckpointing(100, "at-least-once").getCheckpointConfig().enableUnalignedCheckpoints()).toThrow(/unaligned checkpoints need exactly-once mode/);
    const graph = { jobName: "j", digest: "d", edges: [], config: { jobName: "j", parallelism: 3, maxParallelism: 128, bufferTimeoutMs: 100 }, vertices: [{ id: "v1", name: "Map", parallelism: 3, maxParallelism: 128, nodes: [1], operatorUids: ["m"], isSource: false, bufferTimeoutMs: 100 }] };
    const metadata = { format: 1 as const, kind: "checkpoint" as const, jobId: "j", jobName: "j", checkpointId: 4, timestamp: 0, epoch: 1, unaligned: true, operators: [{ uid: "m", name: "Map", parallelism: 2, maxParallelism: 128 }], subtasks: [] };
    expect(() => planRestore(metadata, graph, { allowNonRestoredState: false })).toThrow(/is unaligned .* take a savepoint \(always aligned\) to rescale/);
  });
});
