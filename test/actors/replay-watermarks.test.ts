// Trace replay of watermark propagation: a keyed subtask whose inputs include a channel that goes
// idle and one that keeps advancing is replayed from its recorded frames, and must emit the same
// records, watermarks and statuses (frames compared as element streams).

import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { subtaskMachine } from "../../src/actors/subtask.ts";
import { createJobLoader } from "../../src/cluster/job-loader.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { decode } from "../../src/messages/codec.ts";
import type { DeployTask, Frame } from "../../src/messages/schema.ts";
import { KeyedProcessFunction, StreamExecutionEnvironment, WatermarkStrategy, type Collector, type KeyedProcessContext, type OnTimerContext } from "../../src/index.ts";
import { quietSource } from "../fixtures/quiet-source.ts";
import { MetricRegistry, replayActor, silentLogger, systemClock, TraceRecorder } from "../../src/testing/index.ts";

interface Event {
  key: string;
  time: number;
}

class FireAtEventTime extends KeyedProcessFunction<string, Event, string> {
  processElement(event: Event, ctx: KeyedProcessContext<string>): void {
    ctx.timerService().registerEventTimeTimer(event.time);
  }
  override onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()}@${timestamp}`);
  }
}

describe("replaying watermark propagation", () => {
  it("a keyed subtask with an idle and an active input replays to the same watermarks, statuses and results", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 }).setAutoWatermarkInterval(20).setBufferTimeout(0);
    const byTime = WatermarkStrategy.forBoundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => e.time);
    const punctuated = WatermarkStrategy.forGenerator<Event>(() => ({ onEvent: (_e, ts, out) => out.emitWatermark(ts), onPeriodicEmit: () => undefined })).withTimestampAssigner(
      (e) => e.time,
    );
    const quiet = quietSource({ key: "q", time: 0 });
    const busy = env.fromCollection(Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, time: 100 * (i + 1) }))).assignTimestampsAndWatermarks(punctuated);
    const out = env
      .fromSource(quiet.source, "quiet", byTime.withIdleness(50))
      .union(busy)
      .keyBy((e) => e.key)
      .process(new FireAtEventTime())
      .disableChaining()
      .collect();
    // The collect sink is a vertex of its own (disableChaining), so the keyed subtask's output is frames.
    const recorder = new TraceRecorder(systemClock);
    const cluster = new MiniCluster({ slots: 1, wrapBus: (bus, actor) => recorder.wrap(bus, actor) });
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("replayed-watermarks"));
    const sinkId = String(jobGraph.vertices.at(-1)!.nodes.at(-1));
    const finished = cluster.execute({ jobGraph, streamGraph: env.graph, collectors: new Map([[sinkId, out as never]]) }, "replaywm");
    // End the quiet source once the busy side's last timer has fired (it could only fire with the quiet input idle).
    await new Promise<void>((resolve) => {
      const check = () => {
        if (out.values.includes("k1@2000")) resolve();
        else setTimeout(check, 10);
      };
      check();
    });
    quiet.end();
    await finished;
    await cluster.close();

    const keyedVertex = jobGraph.vertices.find((v) => v.name.includes("KeyedProcess"))!;
    const actor = `subtask/replaywm-${keyedVertex.id}-0-0`;
    const inbound = recorder.entries.filter((e) => e.actor === actor && e.kind === "deliver" && e.subject.startsWith("weir.data."));
    const elements = inbound.flatMap((e) => {
      const m = decode(e.data, ["frame"]);
      return m.ok ? (m.message as Frame).elements : [];
    });
    // The recorded inputs did go idle and come back, and carried watermarks.
    expect(elements.some((el) => el.kind === "stream-status" && el.status === "idle")).toBe(true);
    expect(elements.some((el) => el.kind === "watermark")).toBe(true);

    const deploy = recorder.entries
      .filter((e) => e.kind === "deliver" && e.actor === "worker/embedded-worker" && e.subject.endsWith(".control"))
      .map((e) => decode(e.data))
      .map((m) => (m.ok ? m.message : undefined))
      .find((m): m is DeployTask => m?.type === "deploy-task" && m.task.vertexId === keyedVertex.id)!;
    const report = await replayActor({
      trace: recorder.entries,
      actor,
      compareSubject: (subject) => !subject.startsWith("weir.credit."),
      start: ({ bus, clock }) => {
        const ref = createActor(subtaskMachine, {
          input: { deps: { bus, clock, log: silentLogger(), metrics: new MetricRegistry() }, workerId: "embedded-worker", deploy, loadJob: createJobLoader(new Map([["replaywm", env.graph]])) },
          clock,
        }).start();
        return () => ref.stop();
      },
    });
    expect(report.expectedOutbound).toBeGreaterThan(3);
    expect(report.mismatches).toEqual([]);
  });
});
