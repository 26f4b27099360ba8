// Golden restore tests for the window operator (Arroyo's style): a scenario's input runs once without
// interruption; then again with a checkpoint in the middle — keyed state and timers snapshotted,
// msgpack-encoded and decoded, restored into fresh operators at parallelism 1 or split across 2
// subtasks by key group — and the combined output must be the same, key by key, in order.

import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  ContinuousEventTimeTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  ListStateDescriptor,
  MapStateDescriptor,
  OutputTag,
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  ValueStateDescriptor,
  WindowAssigner,
  type Collector,
  type DataStream,
  type GlobalWindow,
  type ProcessWindowContext,
  type TimeWindow,
  type TriggerContext,
  type Window,
} from "../../src/index.ts";
import type { StreamOperator } from "../../src/operators/operator.ts";
import { feed, openSubtasks, snapshotOf, type Snapshot, type Step, type Subtask } from "../fixtures/restored-operators.ts";
import { SNAPSHOT_CODEC_OPTIONS } from "../../src/state/operator-snapshot.ts";
import type { AggregateFunction, OnMergeContext } from "../../src/windowing/index.ts";
import type { TaggedUnion } from "../../src/joins/join-functions.ts";

// ---- The harness: one operator per subtask, records routed by key group -------------------------

/** The codec checkpoints use for messages (src/messages/codec.ts, the stricter), and the one subtask snapshots use. */
const CODECS = {
  "messages codec": new Packr({ useRecords: false, moreTypes: false }),
  "subtask snapshot codec": new Packr(SNAPSHOT_CODEC_OPTIONS),
};

const record = (value: unknown, timestamp?: number): Step => ({ kind: "record", value, timestamp });
const watermark = (timestamp: number): Step => ({ kind: "watermark", timestamp });
const time = (now: number): Step => ({ kind: "time", now });

/** Records and side outputs (watermarks left out: a restored run sends its last one again), per output key, in order. */
function byKey(subtasks: readonly Subtask[][], outputKey: (value: unknown) => string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const emitted of subtasks.flat().map((s) => s.emitted)) {
    for (const e of emitted) {
      if (e.kind === "watermark") continue;
      const line = `${e.kind === "side" ? `[${e.tag}] ` : ""}${JSON.stringify(e.value)} @${e.timestamp}`;
      (out[outputKey(e.value)] ??= []).push(line);
    }
  }
  return out;
}

interface Scenario {
  create: () => StreamOperator;
  steps: readonly Step[];
  keyOf: (record: unknown) => unknown;
  outputKey: (value: unknown) => string;
  start?: number;
  /** Which watermark or time steps the run may be cut after (default: any). */
  cutAfter?: (step: Step) => boolean;
  /** The run ends with no state left (windows cleaned up by their timers): default true. */
  drained?: boolean;
}

/** Where the run is cut: right after the first acceptable watermark (or time step) from the middle on. */
function cutIndex(s: Scenario): number {
  const { steps, cutAfter = () => true } = s;
  for (let i = Math.floor(steps.length / 2); i < steps.length; i++) if (steps[i].kind !== "record" && cutAfter(steps[i])) return i + 1;
  throw new Error("the scenario needs a watermark or time step after its middle");
}

async function uninterrupted(s: Scenario): Promise<Record<string, string[]>> {
  const subtasks = await openSubtasks(s.create, 1, s.start ?? 0);
  feed(subtasks, s.steps, s.keyOf);
  return byKey([subtasks], s.outputKey);
}

/**
 * Runs the first half at `before` subtasks, snapshots every subtask's keyed state and timers,
 * round-trips them through `codec`, restores into `after` fresh subtasks, replays the last
 * watermark (as restarted sources would) and runs the rest.
 */
async function withRestore(s: Scenario, before: number, after: number, codec: Packr): Promise<{ output: Record<string, string[]>; snapshot: Snapshot; restored: Subtask[] }> {
  const cut = cutIndex(s);
  const first = await openSubtasks(s.create, before, s.start ?? 0);
  feed(first, s.steps.slice(0, cut), s.keyOf);
  const raw = snapshotOf(first);
  const snapshot = codec.unpack(codec.pack(raw)) as Snapshot;
  const lastTime = [...s.steps.slice(0, cut)].reverse().find((step) => step.kind === "time");
  const lastWatermark = [...s.steps.slice(0, cut)].reverse().find((step) => step.kind === "watermark");
  const restored = await openSubtasks(s.create, after, lastTime?.kind === "time" ? lastTime.now : s.start ?? 0, snapshot);
  feed(restored, [...(lastWatermark ? [lastWatermark] : []), ...s.steps.slice(cut)], s.keyOf);
  return { output: byKey([first, restored], s.outputKey), snapshot, restored };
}

/** The golden check: for each codec and each (before → after) parallelism, the output equals the uninterrupted run's. */
async function expectRestoreInvariant(s: Scenario): Promise<Record<string, string[]>> {
  const expected = await uninterrupted(s);
  expect(Object.keys(expected).length).toBeGreaterThan(1);
  for (const [name, codec] of Object.entries(CODECS)) {
    for (const [before, after] of [[1, 1], [1, 2], [2, 1]]) {
      const { output, snapshot, restored } = await withRestore(s, before, after, codec);
      // The cut must fall where there is state to carry over, and both new subtasks must get work.
      expect(snapshot.keyed.length, `${name}: state at the cut`).toBeGreaterThan(0);
      for (const subtask of restored) expect(subtask.records, `${name} ${before}→${after}: records after the cut`).toBeGreaterThan(0);
      expect(output, `${name}, parallelism ${before} → ${after}`).toEqual(expected);
      // Restored cleanup timers fired: nothing is left once the last watermark (or time) has passed.
      if (s.drained ?? true) for (const subtask of restored) expect(subtask.state.snapshot(), `${name} ${before}→${after}: state left at the end`).toEqual([]);
    }
  }
  return expected;
}

/** The window operator that `build` adds after a stream (built through the API, so every call is a fresh instance). */
function operatorOf<T, O>(build: (stream: DataStream<T>) => DataStream<O>): () => StreamOperator {
  const env = new StreamExecutionEnvironment();
  build(env.fromElements<T>());
  const nodes = [...env.graph.nodes.values()];
  const node = nodes[nodes.length - 1];
  return () => node.createOperator!();
}

// ---- Inputs -----------------------------------------------------------------------------------

interface Event {
  key: string;
  id: number;
  n: number;
}

/** A small seeded generator (mulberry32), so every run sees the same input. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TraceOptions {
  count: number;
  keys: number;
  seed: number;
  /** Event i is near i × step ms, up to ± jitter ms out of place. */
  step: number;
  jitter: number;
  /** Share of events that are `lateBy` ms older than they should be (late for the watermark). */
  lateShare?: number;
  lateBy?: number;
}

/** Events with a watermark (highest − 2 × jitter − 1) after every 4th, and a final watermark that flushes everything. */
function eventTrace(o: TraceOptions): { steps: Step[]; events: { event: Event; ts: number }[] } {
  const random = seeded(o.seed);
  const steps: Step[] = [];
  const events: { event: Event; ts: number }[] = [];
  let highest = -Infinity;
  for (let id = 0; id < o.count; id++) {
    const late = random() < (o.lateShare ?? 0);
    const ts = Math.max(0, id * o.step + Math.round((random() * 2 - 1) * o.jitter) - (late ? (o.lateBy ?? 0) : 0));
    const event = { key: `k${Math.floor(random() * o.keys)}`, id, n: 1 + Math.floor(random() * 9) };
    events.push({ event, ts });
    steps.push(record(event, ts));
    highest = Math.max(highest, ts);
    if (id % 4 === 3) steps.push(watermark(highest - 2 * o.jitter - 1));
  }
  steps.push(watermark(1e9));
  return { steps, events };
}

const eventKey = (r: unknown): unknown => (r as Event).key;
/** Outputs here are strings that start with the key, or events. */
const outputKey = (value: unknown): string => (typeof value === "string" ? value.split(" ")[0] : (value as Event).key);
const sumN = (a: Event, b: Event): Event => ({ key: a.key, id: Math.min(a.id, b.id), n: a.n + b.n });
const ids = (events: readonly Event[]): string => events.map((e) => e.id).join(",");

/** "key [start,end) ids" for each firing. */
function describeWindow(key: string, ctx: ProcessWindowContext<TimeWindow>, events: readonly Event[], out: Collector<string>): void {
  out.collect(`${key} [${ctx.window().start},${ctx.window().end}) ${ids(events)}`);
}

// ---- Scenarios ----------------------------------------------------------------------------------

describe("window operator state survives snapshot, msgpack and restore", () => {
  it("tumbling event-time windows: the restored sums equal the brute-force sums per key and window", async () => {
    const { steps, events } = eventTrace({ count: 120, keys: 9, seed: 11, step: 10, jitter: 15 });
    const expected = await expectRestoreInvariant({
      create: operatorOf<Event, Event>((s) => s.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100)).reduce(sumN)),
      steps,
      keyOf: eventKey,
      outputKey,
    });
    // Brute force: every (key, window) of the input, summed, stamped with the window's end − 1.
    const sums = new Map<string, { key: string; n: number; id: number; end: number }>();
    for (const { event, ts } of events) {
      const start = Math.floor(ts / 100) * 100;
      const id = `${event.key}|${start}`;
      const sum = sums.get(id) ?? { key: event.key, n: 0, id: event.id, end: start + 100 };
      sums.set(id, { ...sum, n: sum.n + event.n, id: Math.min(sum.id, event.id) });
    }
    const bruteForce: Record<string, string[]> = {};
    for (const s of [...sums.values()].sort((a, b) => a.end - b.end)) (bruteForce[s.key] ??= []).push(`${JSON.stringify({ key: s.key, id: s.id, n: s.n })} @${s.end - 1}`);
    expect(expected).toEqual(bruteForce);
  });

  it("tumbling windows with allowed lateness and a late side output: late firings and late records come out the same", async () => {
    const late = new OutputTag<Event>("late");
    const { steps } = eventTrace({ count: 140, keys: 7, seed: 3, step: 10, jitter: 10, lateShare: 0.15, lateBy: 120 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(80)).allowedLateness(60).sideOutputLateData(late).process(describeWindow)),
      steps,
      keyOf: eventKey,
      outputKey,
    });
  });

  it("sliding event-time windows with an aggregate and a process function", async () => {
    const average: AggregateFunction<Event, { sum: number; count: number; ids: number[] }, string> = {
      createAccumulator: () => ({ sum: 0, count: 0, ids: [] }),
      add: (e, acc) => ({ sum: acc.sum + e.n, count: acc.count + 1, ids: [...acc.ids, e.id] }),
      getResult: (acc) => `${acc.sum}/${acc.count} ${acc.ids.join(",")}`,
      merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count, ids: [...a.ids, ...b.ids] }),
    };
    const { steps } = eventTrace({ count: 120, keys: 8, seed: 5, step: 10, jitter: 20 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) =>
        s
          .keyBy((e) => e.key)
          .window(SlidingEventTimeWindows.of(150, 50))
          .aggregate(average, (key: string, ctx: ProcessWindowContext<TimeWindow>, results: readonly string[], out: Collector<string>) => out.collect(`${key} [${ctx.window().start}) ${results[0]}`)),
      ),
      steps,
      keyOf: eventKey,
      outputKey,
    });
  });

  it("sliding windows with a continuous event-time trigger: windows sharing a trigger timer fire in the same order", async () => {
    const { steps } = eventTrace({ count: 100, keys: 6, seed: 17, step: 10, jitter: 10 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(SlidingEventTimeWindows.of(120, 40)).trigger(ContinuousEventTimeTrigger.of(30)).process(describeWindow)),
      steps,
      keyOf: eventKey,
      outputKey,
    });
  });

  it("event-time session windows: in-flight sessions merge with elements that arrive after the restore", async () => {
    // Bursts per key with gaps around the session gap: many sessions are open at the cut and merge afterwards.
    const { steps } = eventTrace({ count: 160, keys: 6, seed: 23, step: 9, jitter: 25 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(EventTimeSessionWindows.withGap(45)).allowedLateness(20).process(describeWindow)),
      steps,
      keyOf: eventKey,
      outputKey,
    });
  });

  it("count windows with an evictor (countWindow(5, 2)): the evictor's elements and the count trigger's state carry over", async () => {
    const { steps } = eventTrace({ count: 130, keys: 7, seed: 29, step: 10, jitter: 0 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) =>
        s
          .keyBy((e) => e.key)
          .countWindow(5, 2)
          .process((key: string, _ctx: ProcessWindowContext<GlobalWindow>, events: readonly Event[], out: Collector<string>) => out.collect(`${key} ${ids(events)}`)),
      ),
      steps,
      keyOf: eventKey,
      outputKey,
      drained: false, // the global window never ends
    });
  });

  it("a custom trigger whose per-window state is a Set, carried by its descriptor's serializer", async () => {
    const { steps } = eventTrace({ count: 120, keys: 6, seed: 31, step: 10, jitter: 10 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(200)).trigger(new FireOnThreeDistinct()).process(describeWindow)),
      steps,
      keyOf: eventKey,
      outputKey,
    });
  });

  it("session windows with a trigger whose state merges (mergePartitionedState) after the restore", async () => {
    const { steps } = eventTrace({ count: 140, keys: 8, seed: 37, step: 9, jitter: 20 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(EventTimeSessionWindows.withGap(40)).trigger(new EveryThirdElement()).process(describeWindow)),
      steps,
      keyOf: eventKey,
      outputKey,
    });
  });

  it("a ProcessWindowFunction's windowState() (value, list and map state) survives late firings across the restore", async () => {
    const { steps } = eventTrace({ count: 140, keys: 6, seed: 41, step: 10, jitter: 10, lateShare: 0.25, lateBy: 150 });
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100)).allowedLateness(300).process(new FiringHistory())),
      steps,
      keyOf: eventKey,
      outputKey,
    });
  });

  it("tumbling processing-time windows: processing-time timers restored on the new clock", async () => {
    // Time moves 20 ms every 4 records through windows of 100 ms: a cut at x20..x80 leaves a window open.
    const steps: Step[] = [];
    const random = seeded(43);
    for (let i = 0; i < 120; i++) {
      steps.push(record({ key: `k${Math.floor(random() * 7)}`, id: i, n: 1 }));
      if (i % 4 === 3) steps.push(time(1_000 + ((i + 1) / 4) * 20));
    }
    steps.push(time(10_000));
    await expectRestoreInvariant({
      create: operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(TumblingProcessingTimeWindows.of(100)).process(describeWindow)),
      steps,
      keyOf: eventKey,
      outputKey,
      start: 1_000,
      cutAfter: (step) => step.kind === "time" && step.now % 100 === 60,
    });
  });

  it("a window join and a coGroup (tagged elements of both sides in one window operator)", async () => {
    const random = seeded(47);
    const steps: Step[] = [];
    let highest = -Infinity;
    for (let i = 0; i < 140; i++) {
      const side = random() < 0.5 ? 0 : 1;
      const ts = Math.max(0, i * 10 + Math.round((random() * 2 - 1) * 10));
      const tagged: TaggedUnion<Event, Event> = { side, value: { key: `k${Math.floor(random() * 6)}`, id: i, n: side } };
      steps.push(record(tagged, ts));
      highest = Math.max(highest, ts);
      if (i % 4 === 3) steps.push(watermark(highest - 21));
    }
    steps.push(watermark(1e9));
    const taggedKey = (r: unknown): unknown => (r as TaggedUnion<Event, Event>).value.key;
    const joined = (build: (a: DataStream<Event>, b: DataStream<Event>) => DataStream<string>) => {
      const env = new StreamExecutionEnvironment();
      build(env.fromElements<Event>(), env.fromElements<Event>());
      const nodes = [...env.graph.nodes.values()];
      const node = nodes.find((n) => ["WindowOperator", "FixedWindowOperator"].includes(n.createOperator?.()?.constructor.name ?? ""))!;
      return () => node.createOperator!();
    };
    await expectRestoreInvariant({
      create: joined((a, b) => a.join(b).where((l) => l.key).equalTo((r) => r.key).window(TumblingEventTimeWindows.of(100)).apply((l: Event, r: Event) => `${l.key} ${l.id}+${r.id}`)),
      steps,
      keyOf: taggedKey,
      outputKey,
    });
    await expectRestoreInvariant({
      create: joined((a, b) =>
        a
          .coGroup(b)
          .where((l) => l.key)
          .equalTo((r) => r.key)
          .window(EventTimeSessionWindows.withGap(30))
          .apply((ls: readonly Event[], rs: readonly Event[], out: Collector<string>) => out.collect(`${(ls[0] ?? rs[0]).key} ${ids(ls)} | ${ids(rs)}`)),
      ),
      steps,
      keyOf: taggedKey,
      outputKey,
    });
  });
});

describe("the window snapshot guards itself", () => {
  it("a window type the built-in window serializer does not know is refused at snapshot time, with the way out", async () => {
    class OddWindow implements Window {
      readonly id = "odd";
      maxTimestamp(): number {
        return 10;
      }
    }
    class OddWindows extends WindowAssigner<unknown, OddWindow> {
      assignWindows(): OddWindow[] {
        return [new OddWindow()];
      }
      getDefaultTrigger(): Trigger<unknown, OddWindow> {
        return EventTimeTrigger.create();
      }
      isEventTime(): boolean {
        return true;
      }
    }
    const create = operatorOf<Event, string>((s) => s.keyBy((e) => e.key).window(new OddWindows()).process(() => undefined));
    const [subtask] = await openSubtasks(create, 1, 0);
    subtask.run(record({ key: "a", id: 1, n: 1 }, 5));
    expect(() => subtask.state.snapshot()).toThrow(/getWindowSerializer/);
  });
});

// ---- Functions with state -------------------------------------------------------------------------

const DISTINCT = new ValueStateDescriptor<Set<number>>("distinct-n", undefined, {
  serializer: { toSnapshot: (set) => [...set], fromSnapshot: (data) => new Set(data as number[]) },
});

/** Fires (and forgets) when a window has seen three distinct n % 4 values; fires at the window's end too. */
class FireOnThreeDistinct extends Trigger<Event, TimeWindow> {
  onElement(element: Event, _ts: number | undefined, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const state = ctx.getPartitionedState(DISTINCT);
    // A plain object instead of a Set after msgpack would have no .add: the test would throw here.
    const seen = state.value() ?? new Set<number>();
    seen.add(element.n % 4);
    if (seen.size < 3) {
      state.update(seen);
      return TriggerResult.CONTINUE;
    }
    state.clear();
    return TriggerResult.FIRE;
  }
  override onEventTime(time: number, window: TimeWindow): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  override clear(window: TimeWindow, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
    ctx.getPartitionedState(DISTINCT).clear();
  }
}

const SEEN = new ValueStateDescriptor<number>("seen", 0);

/** Fires every third element of a session (counting across merges) and at the session's end. */
class EveryThirdElement extends Trigger<Event, TimeWindow> {
  onElement(_e: Event, _ts: number | undefined, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const seen = ctx.getPartitionedState(SEEN);
    const count = seen.value()! + 1;
    seen.update(count);
    return count % 3 === 0 ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  override onEventTime(time: number, window: TimeWindow): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: TimeWindow, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(SEEN, (a, b) => a + b);
    ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  override clear(window: TimeWindow, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
    ctx.getPartitionedState(SEEN).clear();
  }
}

const FIRINGS = new ValueStateDescriptor<number>("firings", 0);
const SIZES = new ListStateDescriptor<number>("sizes");
const FIRST_SEEN = new MapStateDescriptor<string, number>("first-seen-at-firing");

/** Per window: how often it fired, the size at each firing, and at which firing each id was first seen. */
class FiringHistory extends ProcessWindowFunction<Event, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, events: readonly Event[], out: Collector<string>): void {
    const state = ctx.windowState();
    const firings = state.getState(FIRINGS);
    const sizes = state.getListState(SIZES);
    const firstSeen = state.getMapState(FIRST_SEEN);
    const firing = firings.value()! + 1;
    firings.update(firing);
    sizes.add(events.length);
    for (const e of events) if (!firstSeen.contains(String(e.id))) firstSeen.put(String(e.id), firing);
    const history = firstSeen.entries().map(([id, at]) => `${id}:${at}`).sort().join(",");
    out.collect(`${key} [${ctx.window().start}) firing ${firing} sizes ${sizes.get().join(",")} seen ${history}`);
  }
}
