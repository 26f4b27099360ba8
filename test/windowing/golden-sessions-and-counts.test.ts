// Golden tests on the embedded cluster (parallelism 2): event-time session windows that merge
// (static and dynamic gaps, out-of-order bridging events, incremental and full functions), and
// count windows, keyed and not. Expectations come from the brute-force model.

import { describe, expect, it } from "vitest";
import { EventTimeSessionWindows, OutputTag, type AggregateFunction } from "../../src/index.ts";
import { environment, eventStream, generateEvents, keyOf, sum, tsOf, type Event } from "./golden-inputs.ts";
import { countWindows, sessions, sortedJson, type Session } from "./reference-model.ts";

// Sparse events (a key every ~600 ms on average, in bursts) so that sessions of a 400 ms gap form and merge.
const sparse: Event[] = generateEvents(300, { seed: 11, keys: 4, disorderMs: 1_500, lateShare: 0 }).map((e, i) => ({
  ...e,
  ts: e.ts * 3 + (i % 7 === 0 ? 5_000 : 0),
}));
// The bound covers all disorder: no event is late, so sessions are the connected runs of [ts, ts + gap).
const BOUND = 30_000;
const GAP = 400;

const describeSession = (s: { key: string; start: number; end: number; elements: readonly Event[] }) =>
  `${s.key} [${s.start},${s.end}) ids=${s.elements.map((e) => e.id).sort((a, b) => a - b).join(",")}`;

describe("session windows on the embedded cluster", () => {
  it("the input has sessions that only merge through events arriving out of order (sanity of the data)", () => {
    const model = sessions(sparse, keyOf, tsOf, () => GAP);
    expect(model.length).toBeGreaterThan(30);
    expect(model.some((s) => s.elements.length > 2)).toBe(true);
    // Some session contains an event that arrived after a later-timestamped event of the same session.
    const bridged = (s: Session<Event>) => s.elements.some((e) => s.elements.some((o) => o.ts > e.ts && o.id < e.id));
    expect(model.some(bridged)).toBe(true);
  });

  it("merge windows that overlap or touch into sessions, with all their events", async () => {
    const env = environment();
    const out = eventStream(env, sparse, BOUND)
      .keyBy(keyOf)
      .window(EventTimeSessionWindows.withGap(GAP))
      .process<string>((key, ctx, elements, o) => o.collect(describeSession({ key, start: ctx.window().start, end: ctx.window().end, elements })))
      .collect();
    await env.execute();
    expect(sortedJson(out.values)).toEqual(sortedJson(sessions(sparse, keyOf, tsOf, () => GAP).map(describeSession)));
  });

  it("merge accumulators of an aggregate and values of a reduce when sessions merge", async () => {
    const count: AggregateFunction<Event, number, number> = { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };
    const env = environment();
    const counts = eventStream(env, sparse, BOUND)
      .keyBy(keyOf)
      .window(EventTimeSessionWindows.withGap(GAP))
      .aggregate(count, (key: string, ctx, results: readonly number[], o) => o.collect(`${key} [${ctx.window().start},${ctx.window().end}) n=${results[0]}`))
      .collect();
    const sums = eventStream(env, sparse, BOUND)
      .keyBy(keyOf)
      .window(EventTimeSessionWindows.withGap(GAP))
      .reduce((a, b) => ({ ...a, v: a.v + b.v }))
      .collect();
    await env.execute();
    const model = sessions(sparse, keyOf, tsOf, () => GAP);
    expect(sortedJson(counts.values)).toEqual(sortedJson(model.map((s) => `${s.key} [${s.start},${s.end}) n=${s.elements.length}`)));
    expect(sortedJson(sums.values.map((e) => `${e.key} ${e.v}`))).toEqual(sortedJson(model.map((s) => `${s.key} ${sum(s.elements)}`)));
  });

  it("with a dynamic gap, each event's own gap decides what it joins", async () => {
    const gapOf = (e: Event) => 100 * e.v; // 100..900 ms
    const env = environment();
    const out = eventStream(env, sparse, BOUND)
      .keyBy(keyOf)
      .window(EventTimeSessionWindows.withDynamicGap<Event>(gapOf))
      .process<string>((key, ctx, elements, o) => o.collect(describeSession({ key, start: ctx.window().start, end: ctx.window().end, elements })))
      .collect();
    await env.execute();
    expect(sortedJson(out.values)).toEqual(sortedJson(sessions(sparse, keyOf, tsOf, gapOf).map(describeSession)));
  });
});

describe("session windows with watermarks and allowed lateness", () => {
  it("a late event merges into a session kept for lateness and fires it again; one too late goes to the side output", async () => {
    const late = new OutputTag<Event>("late-sessions");
    const at = (id: number, key: string, ts: number): Event => ({ id, key, ts, v: 1 });
    // Bound 0: the watermark follows each event at its timestamp − 1. Gap 500, lateness 2000.
    const input = [
      at(1, "a", 1000),
      at(2, "a", 1300), // a: [1000,1800)
      at(3, "a", 3000), // watermark 2999 fires a [1000,1800) {1,2}; it is kept until 1799 + 2000 = 3799
      at(4, "a", 1700), // [1700,2200) merges into [1000,2200), already past the watermark: fires at once {1,2,4}
      at(5, "a", 3200), // a: [3000,3500) + [3200,3700) → [3000,3700)
      at(6, "b", 5000), // watermark 4999: cleans up a [1000,2200) (4199), fires a [3000,3700) {3,5}
      at(7, "a", 1900), // [1900,2400) merges with nothing alive and is past 2399 + 2000 = 4399: late
    ];
    const env = environment();
    const windowed = eventStream(env, input, 0)
      .keyBy(keyOf)
      .window(EventTimeSessionWindows.withGap(500))
      .allowedLateness(2_000)
      .sideOutputLateData(late)
      .process<string>((key, ctx, elements, o) => o.collect(describeSession({ key, start: ctx.window().start, end: ctx.window().end, elements })));
    const out = windowed.collect();
    const lateOut = windowed.getSideOutput(late).collect();
    await env.execute();
    expect(sortedJson(out.values)).toEqual(sortedJson(["a [1000,1800) ids=1,2", "a [1000,2200) ids=1,2,4", "a [3000,3700) ids=3,5", "b [5000,5500) ids=6"]));
    expect(lateOut.values.map((e) => e.id)).toEqual([7]);
  });
});

describe("count windows on the embedded cluster", () => {
  const events = generateEvents(250, { seed: 3, keys: 6 });
  const ids = (elements: readonly Event[]) => elements.map((e) => e.id).join(",");

  it("countWindow(n) fires every n events of a key with exactly those events; a partial last window never fires", async () => {
    const env = environment();
    const out = eventStream(env, events, 0)
      .keyBy(keyOf)
      .countWindow(4)
      .process<string>((key, _ctx, elements, o) => o.collect(`${key}:${ids(elements)}`))
      .collect();
    await env.execute();
    expect(sortedJson(out.values)).toEqual(sortedJson(countWindows(events, keyOf, 4, 4, true).map((w) => `${w.key}:${ids(w.elements)}`)));
  });

  it("countWindow(size, slide) fires every slide events with the last size events", async () => {
    const env = environment();
    const out = eventStream(env, events, 0)
      .keyBy(keyOf)
      .countWindow(5, 2)
      .process<string>((key, _ctx, elements, o) => o.collect(`${key}:${ids(elements)}`))
      .collect();
    const sums = eventStream(env, events, 0).keyBy(keyOf).countWindow(5, 2).sum("v").collect();
    await env.execute();
    const model = countWindows(events, keyOf, 5, 2, false);
    expect(sortedJson(out.values)).toEqual(sortedJson(model.map((w) => `${w.key}:${ids(w.elements)}`)));
    expect(sortedJson(sums.values.map((e) => `${e.key} ${e.v}`))).toEqual(sortedJson(model.map((w) => `${w.key} ${sum(w.elements)}`)));
  });

  it("countWindowAll counts over the whole stream, tumbling and sliding", async () => {
    const env = environment();
    const tumbling = eventStream(env, events, 0).countWindowAll(7).process<string>((_ctx, elements, o) => o.collect(ids(elements))).collect();
    const sliding = eventStream(env, events, 0).countWindowAll(6, 3).process<string>((_ctx, elements, o) => o.collect(ids(elements))).collect();
    await env.execute();
    // One window subtask; the collecting sinks (parallelism 2) receive its results round-robin, so compare as sets.
    expect(sortedJson(tumbling.values)).toEqual(sortedJson(countWindows(events, () => "all", 7, 7, true).map((w) => ids(w.elements))));
    expect(sortedJson(sliding.values)).toEqual(sortedJson(countWindows(events, () => "all", 6, 3, false).map((w) => ids(w.elements))));
  });
});
