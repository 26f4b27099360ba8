// Event time end to end on the embedded cluster: timestamps travel with records across the
// network, watermarks drive event-time timers, strategies generate watermarks, idle inputs are
// left out of the minimum.

import { describe, expect, it } from "vitest";
import {
  KeyedProcessFunction,
  ProcessFunction,
  type ProcessContext,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type WatermarkGenerator,
} from "../../src/index.ts";
import { quietSource } from "../fixtures/quiet-source.ts";

interface Event {
  key: string;
  time: number;
}

/** Emits "<key>@<timer time>" from event-time timers registered at each event's time, and checks ctx.timestamp(). */
class TimerAtEventTime extends KeyedProcessFunction<string, Event, string> {
  processElement(event: Event, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    if (ctx.timestamp() !== event.time) out.collect(`wrong timestamp ${ctx.timestamp()} for ${event.time}`);
    ctx.timerService().registerEventTimeTimer(event.time);
  }
  override onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    if (ctx.timeDomain() !== "event-time" || ctx.timestamp() !== timestamp) out.collect(`bad timer context at ${timestamp}`);
    out.collect(`${ctx.getCurrentKey()}@${timestamp}`);
  }
}

const byTime = WatermarkStrategy.forBoundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => e.time);

describe("event time", () => {
  it("timestamps travel with records through keyBy, and every event-time timer fires once, at the end at the latest", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const events: Event[] = [];
    for (let i = 0; i < 200; i++) events.push({ key: `k${i % 7}`, time: 1000 + ((i * 37) % 500) });
    const out = env.fromCollection(events).assignTimestampsAndWatermarks(byTime).keyBy((e) => e.key).process(new TimerAtEventTime()).collect();
    await env.execute();
    const expected = [...new Set(events.map((e) => `${e.key}@${e.time}`))].sort();
    expect([...out.values].sort()).toEqual(expected);
  });

  it("timers of one key fire in timestamp order as the watermark passes them", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    // A punctuated generator: the watermark follows each event exactly, so firing order is defined.
    const punctuated = WatermarkStrategy.forGenerator<Event>(
      (): WatermarkGenerator<Event> => ({ onEvent: (_e, ts, output) => output.emitWatermark(ts), onPeriodicEmit: () => undefined }),
    ).withTimestampAssigner((e) => e.time);
    const events = [5, 1, 9, 3, 12, 7].map((time) => ({ key: "a", time }));
    const out = env.fromCollection(events).assignTimestampsAndWatermarks(punctuated).keyBy((e) => e.key).process(new TimerAtEventTime()).collect();
    await env.execute();
    // Each record travels before the watermark it causes. Watermarks 5, 9, 12 (1, 3, 7 are behind):
    // a timer registered behind the watermark fires at the next advance, or at the end.
    expect(out.values).toEqual(expectedOrder(events));
    expect(out.values).toEqual(["a@5", "a@1", "a@9", "a@3", "a@12", "a@7"]);
  });

  it("an idle input is left out of the watermark, so timers fire while it stays open", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 }).setAutoWatermarkInterval(20);
    const quiet = quietSource({ key: "q", time: 0 });
    const busy = env.fromCollection(Array.from({ length: 10 }, (_, i) => ({ key: "b", time: 1000 * (i + 1) }))).assignTimestampsAndWatermarks(byTime);
    const fired: string[] = [];
    env
      .fromSource(quiet.source, "quiet", byTime.withIdleness(100))
      .union(busy)
      .keyBy((e) => e.key)
      .process(new TimerAtEventTime())
      .addSink((s: string) => {
        fired.push(s);
        // Without idleness the quiet source would hold the watermark at −1 until it ends.
        if (s === "b@5000") quiet.end();
      });
    await env.execute();
    expect(quiet.endedBySafetyTimeout()).toBe(false);
    expect(fired.filter((s) => s.startsWith("b@")).length).toBe(10);
  });

  it("a two-input operator leaves an idle input out of its watermark", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 }).setAutoWatermarkInterval(20);
    const quiet = quietSource({ key: "q", time: 0 });
    const busy = env.fromCollection(Array.from({ length: 6 }, (_, i) => ({ key: "b", time: 1000 * (i + 1) }))).assignTimestampsAndWatermarks(byTime);
    const fired: string[] = [];
    env
      .fromSource(quiet.source, "quiet", byTime.withIdleness(100))
      .connect(busy)
      .map({ map1: (e: Event) => e, map2: (e: Event) => e })
      .keyBy((e) => e.key)
      .process(new TimerAtEventTime())
      .addSink((s: string) => {
        fired.push(s);
        if (s === "b@5000") quiet.end();
      });
    await env.execute();
    expect(quiet.endedBySafetyTimeout()).toBe(false);
    expect(fired.filter((s) => s.startsWith("b@"))).toHaveLength(6);
  });

  it("ingestion time stamps records with the processing time at the assigner", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const before = Date.now();
    const out = env
      .fromElements(1, 2, 3)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forIngestionTime<number>())
      .process(
        new (class extends ProcessFunction<number, number | undefined> {
          processElement(_value: number, ctx: ProcessContext, out: Collector<number | undefined>): void {
            out.collect(ctx.timestamp());
          }
        })(),
      )
      .collect();
    await env.execute();
    const after = Date.now();
    expect(out.values).toHaveLength(3);
    for (const ts of out.values) {
      expect(typeof ts).toBe("number");
      expect(ts!).toBeGreaterThanOrEqual(before);
      expect(ts!).toBeLessThanOrEqual(after);
    }
  });

  it("a record without a timestamp and no assigner fails the job with advice", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements(1, 2).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>()).addSink(() => undefined);
    await expect(env.execute()).rejects.toThrow(/withTimestampAssigner/);
  });
});

/** The expected firing order for a punctuated stream of one key: simulate watermark after each event, then +∞. */
function expectedOrder(events: Event[]): string[] {
  const pending = new Set<number>();
  const fired: string[] = [];
  let watermark = -Infinity;
  const advance = (to: number) => {
    if (to <= watermark) return;
    watermark = to;
    for (const t of [...pending].sort((a, b) => a - b)) if (t <= watermark) {
      fired.push(`a@${t}`);
      pending.delete(t);
    }
  };
  for (const e of events) {
    pending.add(e.time);
    advance(e.time);
  }
  advance(Infinity);
  return fired;
}
