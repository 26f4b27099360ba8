// The window operator as traces: records, watermarks and processing time on a simulated clock,
// and exactly what it emits. Operators are built through the DataStream API (the node's factory),
// so these also cover the API's wiring. Expected outputs are worked out by hand in the comments.

import { describe, expect, it } from "vitest";
import {
  ContinuousProcessingTimeTrigger,
  CountEvictor,
  EventTimeSessionWindows,
  ListStateDescriptor,
  MapStateDescriptor,
  OutputTag,
  ProcessWindowFunction,
  ProcessingTimeSessionWindows,
  StreamExecutionEnvironment,
  TimeEvictor,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  ValueStateDescriptor,
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  type TimeWindow,
} from "../../src/index.ts";
import type { WindowOperator } from "../../src/windowing/index.ts";
import { record, time, watermark, windowHarness } from "./window-harness.ts";

interface Event {
  key: string;
  n: number;
}
const e = (key: string, n = 1): Event => ({ key, n });

/** Builds the window operator that `build` adds after a keyed-or-not stream of events. */
function operatorOf<O>(build: (stream: DataStream<Event>) => DataStream<O>): WindowOperator {
  const env = new StreamExecutionEnvironment();
  build(env.fromElements<Event>());
  const nodes = [...env.graph.nodes.values()];
  return nodes[nodes.length - 1].createOperator!() as WindowOperator;
}

const sumN = (a: Event, b: Event): Event => ({ key: a.key, n: a.n + b.n });
const LATE = new OutputTag<Event>("late");
const DROPPED = "weir_window_late_records_dropped_total";

/** Emits "key [start,end) n1+n2+…" for each firing. */
function describeWindow(key: string, ctx: ProcessWindowContext<TimeWindow>, events: readonly Event[], out: Collector<string>): void {
  out.collect(`${key} [${ctx.window().start},${ctx.window().end}) ${events.map((x) => x.n).join("+")}`);
}

describe("event-time windows in the operator", () => {
  it("fire when the watermark passes the window's end: results first, stamped end - 1, then the watermark", async () => {
    const h = await windowHarness(operatorOf((s) => s.keyBy((x) => x.key).window(TumblingEventTimeWindows.of(10)).reduce(sumN)));
    expect(h.run([record(e("a", 1), 1), record(e("b", 5), 2), record(e("a", 2), 9), watermark(8)])).toEqual([{ kind: "watermark", timestamp: 8 }]);
    expect(h.run([watermark(9)])).toEqual([
      { kind: "record", value: e("a", 3), timestamp: 9 },
      { kind: "record", value: e("b", 5), timestamp: 9 },
      { kind: "watermark", timestamp: 9 },
    ]);
    expect(h.state.size("weir.window-operator.windows")).toBe(0);
    expect(h.timers.size).toBe(0);
  });

  it("drop and count an element whose windows are all past the watermark", async () => {
    const h = await windowHarness(operatorOf((s) => s.keyBy((x) => x.key).window(TumblingEventTimeWindows.of(10)).reduce(sumN)));
    expect(h.values([record(e("a"), 3), watermark(20), record(e("a", 7), 5), record(e("a", 2), 25), watermark(29)])).toEqual([e("a", 1), e("a", 2)]);
    expect(h.metrics.sum(DROPPED)).toBe(1);
  });

  it("with allowed lateness, fire again for each late element with the updated result, then clean up and send later ones to the side output", async () => {
    const h = await windowHarness(
      operatorOf((s) => s.keyBy((x) => x.key).window(TumblingEventTimeWindows.of(10)).allowedLateness(5).sideOutputLateData(LATE).reduce(sumN)),
    );
    // On time: [0,10) fires at watermark 9 with 1.
    expect(h.values([record(e("a", 1), 2), watermark(9)])).toEqual([e("a", 1)]);
    // Late but within lateness (cleanup at 9 + 5 = 14): fires at once with 1 + 10, stamped 9.
    expect(h.run([watermark(12), record(e("a", 10), 4)])).toEqual([
      { kind: "watermark", timestamp: 12 },
      { kind: "record", value: e("a", 11), timestamp: 9 },
    ]);
    // Watermark 14 cleans the window up; the next element for it is late data, with its own timestamp.
    expect(h.run([watermark(14), record(e("a", 100), 6)])).toEqual([
      { kind: "watermark", timestamp: 14 },
      { kind: "side", tag: "late", value: e("a", 100), timestamp: 6 },
    ]);
    expect(h.metrics.sum(DROPPED)).toBe(0);
  });

  it("merge session windows: contents, trigger timers and cleanup move to the merged window", async () => {
    const h = await windowHarness(
      operatorOf((s) => s.keyBy((x) => x.key).window(EventTimeSessionWindows.withGap(10)).process<string>(describeWindow)),
    );
    // [0,10) and [20,30) apart; 9 extends the first to [0,19); 15 bridges both into [0,30).
    expect(h.values([record(e("a", 1), 0), record(e("a", 2), 20), watermark(5), record(e("a", 3), 9), watermark(8)])).toEqual([]);
    expect(h.values([record(e("a", 4), 15), watermark(18), watermark(28)])).toEqual([]);
    // One timer left for the key: the merged window's end (29); the old ends (9, 18, 29) were deleted or shared.
    expect(h.timers.eventTimeTimers).toBe(1);
    // Merged contents keep the order of the state windows they came from (as Flink's list state merges), not arrival order.
    expect(h.values([watermark(29)])).toEqual(["a [0,30) 1+3+2+4"]);
    expect(h.state.size("weir.window-operator.windows")).toBe(0);
  });

  it("give a process function per-window state that lives across late firings, and per-key state across windows", async () => {
    const FIRINGS = new ValueStateDescriptor<number>("firings", 0);
    const WINDOWS = new ValueStateDescriptor<number>("windows", 0);
    class Firings extends ProcessWindowFunction<Event, string, string, TimeWindow> {
      process(key: string, ctx: ProcessWindowContext<TimeWindow>, events: readonly Event[], out: Collector<string>): void {
        const firings = ctx.windowState().getState(FIRINGS);
        firings.update(firings.value()! + 1);
        const windows = ctx.globalState().getState(WINDOWS);
        if (firings.value() === 1) windows.update(windows.value()! + 1);
        out.collect(`${key}@${ctx.window().start} firing ${firings.value()} of window ${windows.value()}: ${events.length}`);
      }
    }
    const h = await windowHarness(operatorOf((s) => s.keyBy((x) => x.key).window(TumblingEventTimeWindows.of(10)).allowedLateness(100).process(new Firings())));
    expect(h.values([record(e("a"), 1), watermark(9), record(e("a"), 2), record(e("a"), 11), watermark(19), watermark(200), record(e("a"), 3)])).toEqual([
      "a@0 firing 1 of window 1: 1",
      "a@0 firing 2 of window 1: 2",
      "a@10 firing 1 of window 2: 1",
    ]);
    // The late element at the end came after cleanup (9 + 100 <= 200): dropped, and window state was dropped with the window.
    expect(h.metrics.sum(DROPPED)).toBe(1);
  });

  it("give per-window list and map state, and refuse one name used as two kinds", async () => {
    const SIZES = new ListStateDescriptor<number>("sizes");
    const BY_N = new MapStateDescriptor<number, number>("by-n");
    const h = await windowHarness(
      operatorOf((s) =>
        s
          .keyBy((x) => x.key)
          .window(TumblingEventTimeWindows.of(10))
          .allowedLateness(100)
          .process<string>((key, ctx, events, out) => {
            const sizes = ctx.windowState().getListState(SIZES);
            sizes.add(events.length);
            const byN = ctx.windowState().getMapState(BY_N);
            for (const x of events) byN.put(x.n, (byN.get(x.n) ?? 0) + 1);
            out.collect(`${key}@${ctx.window().start} sizes=${sizes.get().join(",")} n7=${byN.get(7) ?? 0}`);
          }),
      ),
    );
    // Each late firing sees the per-window state its earlier firings left; the next window starts empty.
    expect(h.values([record(e("a", 7), 1), watermark(9), record(e("a", 7), 2), record(e("a", 1), 12), watermark(19)])).toEqual([
      "a@0 sizes=1 n7=1",
      "a@0 sizes=1,2 n7=3",
      "a@10 sizes=1 n7=0",
    ]);
    const mixed = await windowHarness(
      operatorOf((s) =>
        s
          .keyBy((x) => x.key)
          .window(TumblingEventTimeWindows.of(10))
          .process<string>((_key, ctx, _events, out) => {
            ctx.windowState().getListState(new ListStateDescriptor<number>("same"));
            ctx.windowState().getState(new ValueStateDescriptor<number>("same"));
            out.collect("unreachable");
          }),
      ),
    );
    expect(() => mixed.run([record(e("a"), 1), watermark(9)])).toThrow(/same is list state, not value state/);
  });
});

describe("processing-time windows in the operator", () => {
  it("assign by the clock and fire when it reaches the window's end", async () => {
    const h = await windowHarness(operatorOf((s) => s.keyBy((x) => x.key).window(TumblingProcessingTimeWindows.of(1000)).reduce(sumN)));
    expect(h.run([time(100), record(e("a", 1)), time(600), record(e("a", 2)), record(e("b", 4)), time(998)])).toEqual([]);
    expect(h.run([time(999)])).toEqual([
      { kind: "record", value: e("a", 3), timestamp: 999 },
      { kind: "record", value: e("b", 4), timestamp: 999 },
    ]);
    expect(h.values([time(1500), record(e("a", 8)), watermark(1e9), time(2100)])).toEqual([e("a", 8)]);
    expect(h.state.size("weir.window-operator.windows")).toBe(0);
  });

  it("merge processing-time sessions and fire a gap after the last element", async () => {
    const h = await windowHarness(operatorOf((s) => s.keyBy((x) => x.key).window(ProcessingTimeSessionWindows.withGap(100)).process<string>(describeWindow)));
    expect(h.values([record(e("a", 1)), time(50), record(e("a", 2)), time(149)])).toEqual(["a [0,150) 1+2"]);
    expect(h.values([time(300), record(e("a", 3)), time(399)])).toEqual(["a [300,400) 3"]);
  });

  it("with a continuous processing-time trigger on an event-time window, fire every interval until the window is cleaned up", async () => {
    const h = await windowHarness(
      operatorOf((s) => s.keyBy((x) => x.key).window(TumblingEventTimeWindows.of(10_000)).trigger(ContinuousProcessingTimeTrigger.of(100)).reduce(sumN)),
    );
    // Processing time 30: first firing at 100, then every 100 ms of processing time.
    expect(h.values([time(30), record(e("a", 1), 5), time(100), record(e("a", 2), 6), time(250)])).toEqual([e("a", 1), e("a", 3)]);
    // The watermark passing the end (9999) cleans the window up without firing (the trigger fires only on its own timers).
    expect(h.values([watermark(9_999), time(1_000)])).toEqual([]);
    expect(h.timers.size).toBe(0);
  });

  it("evict by count before the function on each firing", async () => {
    const h = await windowHarness(operatorOf((s) => s.keyBy((x) => x.key).window(TumblingProcessingTimeWindows.of(100)).evictor(CountEvictor.of(2)).process<string>(describeWindow)));
    expect(h.values([record(e("a", 1)), record(e("a", 2)), record(e("a", 3)), time(99)])).toEqual(["a [0,100) 2+3"]);
  });

  it("a time evictor keeps all elements without timestamps", async () => {
    const h = await windowHarness(operatorOf((s) => s.keyBy((x) => x.key).window(TumblingProcessingTimeWindows.of(100)).evictor(TimeEvictor.of(1)).process<string>(describeWindow)));
    expect(h.values([record(e("a", 1)), time(50), record(e("a", 2)), time(99)])).toEqual(["a [0,100) 1+2"]);
  });
});

describe("the windowed-stream builder", () => {
  it("refuses a trigger that cannot merge on session windows, and a negative lateness", () => {
    const env = new StreamExecutionEnvironment();
    const windowed = env.fromElements<Event>().keyBy((x) => x.key).window(EventTimeSessionWindows.withGap(10));
    expect(() => windowed.trigger(new NoMerge())).toThrow(/does not support merging/);
    expect(() => windowed.allowedLateness(-1)).toThrow(/>= 0/);
  });

  it("windowAll runs with parallelism 1 and refuses another", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    const all = env.fromElements<Event>().windowAll(TumblingEventTimeWindows.of(10)).reduce(sumN);
    expect(() => all.setParallelism(2)).toThrow(/is not parallel: setParallelism\(2\) is not allowed; it runs with parallelism 1/);
    expect(() => all.setParallelism(1)).not.toThrow();
  });
});

/** A user trigger that does not support merging. */
class NoMerge extends Trigger<unknown, TimeWindow> {
  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
}
