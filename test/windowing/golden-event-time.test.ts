// Golden tests on the embedded cluster (parallelism 2): event-time tumbling and sliding windows
// over out-of-order input with late events, allowed lateness with late firings, late data on a
// side output, and every window function. Each expectation comes from the brute-force model in
// reference-model.ts, run over the same input and watermark positions.

import { describe, expect, it } from "vitest";
import {
  EmbeddedExecutor,
  OutputTag,
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  type AggregateFunction,
  type Collector,
  type ProcessWindowContext,
  type TimeWindow,
} from "../../src/index.ts";
import { MetricRegistry } from "../../src/testing/index.ts";
import { environment, eventStream, generateEvents, keyOf, sum, tsOf, withTimestamps, type Event } from "./golden-inputs.ts";
import { elementsOf, eventTimeWindowing, punctuatedTrace, sortedJson, type Firing } from "./reference-model.ts";

const BOUND = 1_000;
const events = generateEvents(400, { disorderMs: 800 });
const trace = punctuatedTrace(events, tsOf, BOUND);
const DROPPED = "weir_window_late_records_dropped_total";

const sumEvents = (a: Event, b: Event): Event => ({ id: Math.min(a.id, b.id), key: a.key, ts: Math.max(a.ts, b.ts), v: a.v + b.v });
const line = (f: Firing<Event>) => `${f.key} [${f.start},${f.end}) n=${f.elements.length} sum=${sum(f.elements)}`;

/** Count and sum per window, with the window from the context. */
class CountAndSum extends ProcessWindowFunction<Event, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: readonly Event[], out: Collector<string>): void {
    out.collect(`${key} [${ctx.window().start},${ctx.window().end}) n=${elements.length} sum=${sum(elements)}`);
  }
}

const countAndSum: AggregateFunction<Event, { n: number; sum: number }, { n: number; sum: number }> = {
  createAccumulator: () => ({ n: 0, sum: 0 }),
  add: (e, acc) => ({ n: acc.n + 1, sum: acc.sum + e.v }),
  getResult: (acc) => acc,
  merge: (a, b) => ({ n: a.n + b.n, sum: a.sum + b.sum }),
};

describe("event-time windows on the embedded cluster", () => {
  it("the input really is out of order and has late events (sanity of the data)", () => {
    const model = eventTimeWindowing(trace, keyOf, { size: 2_000, slide: 2_000 });
    expect(model.late.length).toBeGreaterThan(20);
    expect(model.firings.length).toBeGreaterThan(20);
    expect(events.some((e, i) => i > 0 && e.ts < events[i - 1].ts)).toBe(true);
  });

  it("tumbling windows reduce each key's on-time events; results carry the window's end − 1; late events are dropped and counted", async () => {
    const metrics = new MetricRegistry();
    const env = environment(new EmbeddedExecutor({ metrics }));
    const out = withTimestamps(eventStream(env, events, BOUND).keyBy(keyOf).window(TumblingEventTimeWindows.of(2_000)).reduce(sumEvents)).collect();
    await env.execute();
    const model = eventTimeWindowing(trace, keyOf, { size: 2_000, slide: 2_000 });
    expect(sortedJson(out.values.map(([ts, e]) => `${e.key} @${ts} sum=${e.v}`))).toEqual(sortedJson(model.firings.map((f) => `${f.key} @${f.end - 1} sum=${sum(f.elements)}`)));
    expect(metrics.sum(DROPPED)).toBe(model.late.length);
  });

  it("sliding windows with an offset aggregate count and sum per window", async () => {
    const env = environment();
    const grid = { size: 3_000, slide: 1_000, offset: 250 };
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(SlidingEventTimeWindows.of(grid.size, grid.slide, grid.offset))
      .aggregate(countAndSum, (key: string, ctx: ProcessWindowContext<TimeWindow>, results: readonly { n: number; sum: number }[], o: Collector<string>) =>
        o.collect(`${key} [${ctx.window().start},${ctx.window().end}) n=${results[0].n} sum=${results[0].sum}`),
      )
      .collect();
    await env.execute();
    expect(sortedJson(out.values)).toEqual(sortedJson(eventTimeWindowing(trace, keyOf, grid).firings.map(line)));
  });

  it("allowed lateness fires a window again for each late event with the updated contents, and later events go to the side output", async () => {
    const late = new OutputTag<Event>("late-events");
    const env = environment();
    const windowed = eventStream(env, events, BOUND).keyBy(keyOf).window(TumblingEventTimeWindows.of(2_000)).allowedLateness(1_500).sideOutputLateData(late).process(new CountAndSum());
    const out = windowed.collect();
    const lateOut = windowed.getSideOutput(late).collect();
    await env.execute();
    const model = eventTimeWindowing(trace, keyOf, { size: 2_000, slide: 2_000 }, 1_500);
    const windowsFiredMoreThanOnce = new Set(model.firings.map((f) => `${f.key}${f.start}`)).size < model.firings.length;
    expect(windowsFiredMoreThanOnce).toBe(true);
    expect(model.late.length).toBeGreaterThan(0);
    expect(sortedJson(out.values)).toEqual(sortedJson(model.firings.map(line)));
    expect(sortedJson(lateOut.values)).toEqual(sortedJson(model.late));
  });

  it("the same late events, without lateness, reach the side output; nothing is dropped", async () => {
    const late = new OutputTag<Event>("late-events");
    const metrics = new MetricRegistry();
    const env = environment(new EmbeddedExecutor({ metrics }));
    const windowed = eventStream(env, events, BOUND).keyBy(keyOf).window(SlidingEventTimeWindows.of(4_000, 2_000)).sideOutputLateData(late).aggregate(countAndSum);
    const out = windowed.collect();
    const lateOut = withTimestamps(windowed.getSideOutput(late)).collect();
    await env.execute();
    const model = eventTimeWindowing(trace, keyOf, { size: 4_000, slide: 2_000 });
    expect(sortedJson(out.values)).toEqual(sortedJson(model.firings.map((f) => ({ n: f.elements.length, sum: sum(f.elements) }))));
    // Late events keep their own timestamps on the side output.
    expect(sortedJson(lateOut.values)).toEqual(sortedJson(model.late.map((e) => [e.ts, e])));
    expect(metrics.sum(DROPPED)).toBe(0);
  });

  it("reduce combined with a process function gives the process function the one reduced value and the window", async () => {
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(3_000))
      .reduce(sumEvents, (key: string, ctx: ProcessWindowContext<TimeWindow>, reduced: readonly Event[], o: Collector<string>) =>
        o.collect(`${key} [${ctx.window().start},${ctx.window().end}) values=${reduced.length} sum=${reduced[0].v}`),
      )
      .collect();
    await env.execute();
    const model = eventTimeWindowing(trace, keyOf, { size: 3_000, slide: 3_000 });
    expect(sortedJson(out.values)).toEqual(sortedJson(model.firings.map((f) => `${f.key} [${f.start},${f.end}) values=1 sum=${sum(f.elements)}`)));
  });

  it("process sees every element of the window in arrival order; apply sees the same", async () => {
    const env = environment();
    const keyed = eventStream(env, events, BOUND).keyBy(keyOf).window(TumblingEventTimeWindows.of(2_000));
    const processed = keyed.process<string>((key, ctx, elements, o) => o.collect(`${key}@${ctx.window().start}:${elements.map((e) => e.id).join(",")}`)).collect();
    const applied = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(2_000))
      .apply<string>((key, window, elements, o) => o.collect(`${key}@${window.start}:${elements.map((e) => e.id).join(",")}`))
      .collect();
    await env.execute();
    const expected = sortedJson(eventTimeWindowing(trace, keyOf, { size: 2_000, slide: 2_000 }).firings.map((f) => `${f.key}@${f.start}:${f.elements.map((e) => e.id).join(",")}`));
    expect(sortedJson(processed.values)).toEqual(expected);
    expect(sortedJson(applied.values)).toEqual(expected);
  });

  it("sum and max over a field per window", async () => {
    const env = environment();
    const sums = eventStream(env, events, BOUND).keyBy(keyOf).window(TumblingEventTimeWindows.of(5_000)).sum("v").collect();
    const maxima = eventStream(env, events, BOUND).keyBy(keyOf).window(TumblingEventTimeWindows.of(5_000)).maxBy("v").collect();
    await env.execute();
    const model = eventTimeWindowing(trace, keyOf, { size: 5_000, slide: 5_000 });
    expect(sortedJson(sums.values.map((e) => `${e.key} ${e.v}`))).toEqual(sortedJson(model.firings.map((f) => `${f.key} ${sum(f.elements)}`)));
    // maxBy keeps the first element with the highest value.
    const firstMax = (f: Firing<Event>) => f.elements.reduce((best, e) => (e.v > best.v ? e : best));
    expect(sortedJson(maxima.values)).toEqual(sortedJson(model.firings.map(firstMax)));
  });

  it("windowAll windows the whole stream on one subtask", async () => {
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .windowAll(TumblingEventTimeWindows.of(2_000))
      .process<string>((ctx, elements, o) => o.collect(`[${ctx.window().start},${ctx.window().end}) n=${elements.length} sum=${sum(elements)}`))
      .collect();
    await env.execute();
    const model = eventTimeWindowing(trace, () => "all", { size: 2_000, slide: 2_000 });
    expect(sortedJson(out.values)).toEqual(sortedJson(model.firings.map((f) => `[${f.start},${f.end}) n=${f.elements.length} sum=${sum(f.elements)}`)));
    expect(env.graph.nodes.size).toBeGreaterThan(0);
    const windowNode = [...env.graph.nodes.values()].find((n) => n.name.startsWith("Window("))!;
    expect(windowNode.maxAllowedParallelism).toBe(1);
  });

  it("every event is in some firing or late: nothing is lost or counted twice (tumbling, no lateness)", () => {
    const model = eventTimeWindowing(trace, keyOf, { size: 2_000, slide: 2_000 });
    const fired = model.firings.flatMap((f) => f.elements.map((e) => e.id));
    expect([...fired, ...model.late.map((e) => e.id)].sort((a, b) => a - b)).toEqual(elementsOf(trace).map((e) => e.id).sort((a, b) => a - b));
  });
});
