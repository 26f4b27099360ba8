// Golden tests on the embedded cluster (parallelism 2) for every trigger and evictor: continuous
// event time, count, purging and a user-defined trigger over event-time windows; count, time and
// delta evictors before and after the function. Expectations come from brute-force models stated
// in plain terms (reference-model.ts and the small models below), over the same input.

import { describe, expect, it } from "vitest";
import {
  ContinuousEventTimeTrigger,
  CountEvictor,
  CountTrigger,
  DeltaEvictor,
  EventTimeTrigger,
  GlobalWindows,
  PurgingTrigger,
  TimeEvictor,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  type TimeWindow,
  type TriggerContext,
} from "../../src/index.ts";
import { environment, eventStream, generateEvents, keyOf, sum, tsOf, type Event } from "./golden-inputs.ts";
import { elementsOf, eventTimeWindowing, punctuatedTrace, sortedJson, windowsContaining, type Firing, type TraceItem } from "./reference-model.ts";

const BOUND = 1_000;
const SIZE = 4_000;
const events = generateEvents(300, { seed: 5, keys: 4 });
const trace = punctuatedTrace(events, tsOf, BOUND);
const ids = (elements: readonly Event[]) => elements.map((e) => e.id).join(",");
const line = (f: { key: string; start: number; elements: readonly Event[] }) => `${f.key}@${f.start}:${ids(f.elements)}`;

interface WindowModel {
  key: string;
  start: number;
  end: number;
  elements: Event[];
  /** Continuous trigger: the next firing time, if one is pending. */
  next?: number;
}

/** Tumbling windows whose state goes when the watermark reaches their end − 1 (no lateness); `onElement` / `onWatermark` decide firings. */
function tumblingModel(
  input: readonly TraceItem<Event>[],
  hooks: { onElement(w: WindowModel, e: Event, fire: () => void): void; onWatermark(w: WindowModel, previous: number, watermark: number, fire: () => void): void },
): Firing<Event>[] {
  const windows = new Map<string, WindowModel>();
  const firings: Firing<Event>[] = [];
  let watermark = -Infinity;
  for (const item of input) {
    if (item.kind === "watermark") {
      if (item.time <= watermark) continue;
      const previous = watermark;
      watermark = item.time;
      for (const [id, w] of windows) {
        hooks.onWatermark(w, previous, watermark, () => firings.push({ key: w.key, start: w.start, end: w.end, elements: [...w.elements] }));
        if (w.end - 1 <= watermark) windows.delete(id);
      }
      continue;
    }
    const [[start, end]] = windowsContaining(item.timestamp, { size: SIZE, slide: SIZE });
    if (end - 1 <= watermark) continue; // late: dropped
    const key = keyOf(item.value);
    const id = `${key}|${start}`;
    const w = windows.get(id) ?? { key, start, end, elements: [] };
    windows.set(id, w);
    w.elements.push(item.value);
    hooks.onElement(w, item.value, () => firings.push({ key, start, end, elements: [...w.elements] }));
  }
  return firings;
}

describe("triggers on the embedded cluster", () => {
  it("ContinuousEventTimeTrigger fires every interval of event time from a window's first event, and at its end", async () => {
    const interval = 1_000;
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(SIZE))
      .trigger(ContinuousEventTimeTrigger.of(interval))
      .process<string>((key, ctx, elements, o) => o.collect(line({ key, start: ctx.window().start, elements })))
      .collect();
    await env.execute();
    const expected = tumblingModel(trace, {
      onElement: (w, e) => {
        if (w.next === undefined) w.next = Math.min(e.ts - (e.ts % interval) + interval, w.end - 1);
      },
      onWatermark: (w, _previous, watermark, fire) => {
        // Each pending firing time the watermark passed fires; the chain stops at the window's end.
        while (w.next !== undefined && w.next <= watermark) {
          fire();
          w.next = w.next >= w.end - 1 ? undefined : Math.min(w.next + interval, w.end - 1);
        }
      },
    });
    expect(expected.length).toBeGreaterThan(new Set(expected.map((f) => `${f.key}${f.start}`)).size);
    expect(sortedJson(out.values)).toEqual(sortedJson(expected.map(line)));
  });

  it("CountTrigger on event-time windows fires every n events with everything so far; the rest never fires", async () => {
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(SIZE))
      .trigger(CountTrigger.of(3))
      .process<string>((key, ctx, elements, o) => o.collect(line({ key, start: ctx.window().start, elements })))
      .collect();
    await env.execute();
    const expected = tumblingModel(trace, {
      onElement: (w, _e, fire) => {
        if (w.elements.length % 3 === 0) fire();
      },
      onWatermark: () => undefined,
    });
    expect(sortedJson(out.values)).toEqual(sortedJson(expected.map(line)));
  });

  it("PurgingTrigger around EventTimeTrigger with lateness: each late firing sees only what came since the last firing", async () => {
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(SIZE))
      .allowedLateness(2_000)
      .trigger(PurgingTrigger.of(EventTimeTrigger.create()))
      .process<string>((key, ctx, elements, o) => o.collect(line({ key, start: ctx.window().start, elements })))
      .collect();
    await env.execute();
    const expected = eventTimeWindowing(trace, keyOf, { size: SIZE, slide: SIZE }, 2_000, true).firings;
    expect(expected.some((f) => f.elements.length === 1)).toBe(true);
    expect(sortedJson(out.values)).toEqual(sortedJson(expected.map(line)));
  });

  it("a user-defined trigger: flush on a marker event (v = 9) and at the window's end", async () => {
    class FlushOnNine extends Trigger<Event, TimeWindow> {
      onElement(event: Event, _ts: number | undefined, window: TimeWindow, ctx: TriggerContext): TriggerResult {
        if (event.v === 9) return TriggerResult.FIRE_AND_PURGE;
        ctx.registerEventTimeTimer(window.maxTimestamp());
        return TriggerResult.CONTINUE;
      }
      override onEventTime(time: number, window: TimeWindow): TriggerResult {
        return time === window.maxTimestamp() ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE;
      }
      override clear(window: TimeWindow, ctx: TriggerContext): void {
        ctx.deleteEventTimeTimer(window.maxTimestamp());
      }
    }
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(SIZE))
      .trigger(new FlushOnNine())
      .process<string>((key, ctx, elements, o) => o.collect(line({ key, start: ctx.window().start, elements })))
      .collect();
    await env.execute();
    const expected = tumblingModel(trace, {
      onElement: (w, e, fire) => {
        if (e.v !== 9) return;
        fire();
        w.elements = [];
      },
      onWatermark: (w, previous, watermark, fire) => {
        if (w.end - 1 > previous && w.end - 1 <= watermark && w.elements.length > 0) fire();
      },
    });
    expect(sortedJson(out.values)).toEqual(sortedJson(expected.map(line)));
  });
});

describe("evictors on the embedded cluster", () => {
  const firings = eventTimeWindowing(trace, keyOf, { size: SIZE, slide: SIZE }).firings;

  it("CountEvictor keeps the last n events of each window for the function", async () => {
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(SIZE))
      .evictor(CountEvictor.of(3))
      .process<string>((key, ctx, elements, o) => o.collect(line({ key, start: ctx.window().start, elements })))
      .collect();
    const sums = eventStream(env, events, BOUND).keyBy(keyOf).window(TumblingEventTimeWindows.of(SIZE)).evictor(CountEvictor.of(2)).reduce((a, b) => ({ ...a, v: a.v + b.v })).collect();
    await env.execute();
    expect(sortedJson(out.values)).toEqual(sortedJson(firings.map((f) => line({ ...f, elements: f.elements.slice(-3) }))));
    expect(sortedJson(sums.values.map((e) => `${e.key} ${e.v}`))).toEqual(sortedJson(firings.map((f) => `${f.key} ${sum(f.elements.slice(-2))}`)));
  });

  it("TimeEvictor keeps the events within the last ms of the window's newest timestamp", async () => {
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(SIZE))
      .evictor(TimeEvictor.of(1_500))
      .aggregate({ createAccumulator: () => [] as number[], add: (e: Event, acc: number[]) => [...acc, e.id], getResult: (acc) => acc.join(","), merge: (a, b) => [...a, ...b] })
      .collect();
    await env.execute();
    const kept = (f: Firing<Event>) => {
      const newest = Math.max(...f.elements.map(tsOf));
      return ids(f.elements.filter((e) => e.ts > newest - 1_500));
    };
    expect(sortedJson(out.values)).toEqual(sortedJson(firings.map(kept)));
  });

  it("DeltaEvictor keeps the events close enough to the window's last event", async () => {
    const env = environment();
    const out = eventStream(env, events, BOUND)
      .keyBy(keyOf)
      .window(TumblingEventTimeWindows.of(SIZE))
      .evictor(DeltaEvictor.of<Event>(4, (a, b) => Math.abs(a.v - b.v)))
      .process<string>((key, ctx, elements, o) => o.collect(line({ key, start: ctx.window().start, elements })))
      .collect();
    await env.execute();
    const kept = (f: Firing<Event>) => {
      const last = f.elements[f.elements.length - 1];
      return line({ ...f, elements: f.elements.filter((e) => Math.abs(e.v - last.v) < 4) });
    };
    expect(sortedJson(out.values)).toEqual(sortedJson(firings.map(kept)));
  });

  it("an evictor after the function shrinks what later firings see (global window, count trigger)", async () => {
    const env = environment();
    const out = eventStream(env, events, 0)
      .keyBy(keyOf)
      .window(GlobalWindows.create())
      .trigger(CountTrigger.of(3))
      .evictor(CountEvictor.of(2, true))
      .process<string>((key, _ctx, elements, o) => o.collect(`${key}:${ids(elements)}`))
      .collect();
    await env.execute();
    // Per key: every 3rd new event, the function sees what is held, then only the last 2 stay.
    const held = new Map<string, Event[]>();
    const added = new Map<string, number>();
    const expected: string[] = [];
    for (const e of elementsOf(trace)) {
      const list = [...(held.get(e.key) ?? []), e];
      const count = (added.get(e.key) ?? 0) + 1;
      added.set(e.key, count);
      if (count % 3 === 0) {
        expected.push(`${e.key}:${ids(list)}`);
        held.set(e.key, list.slice(-2));
      } else held.set(e.key, list);
    }
    expect(sortedJson(out.values)).toEqual(sortedJson(expected));
  });
});
