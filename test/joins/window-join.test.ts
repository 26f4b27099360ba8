// Window joins and coGroup end to end on the embedded cluster (parallelism 2), on tumbling,
// sliding and session windows, against brute-force results: windows enumerated over the whole
// time range (sessions from all timestamps of a key) and nested loops over both sides.

import { describe, expect, it } from "vitest";
import {
  EventTimeSessionWindows,
  ProcessFunction,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type Collector,
  type DataStream,
  type ProcessContext,
  type RuntimeContext,
} from "../../src/index.ts";
import { sorted } from "../api/comparisons.ts";
import { coGroup, sessionJoin, sessionWindows, slidingWindows, windowJoin, type Group, type Pair } from "./brute-force.ts";
import { eventTime, events, outOfOrderness, seeded, type Event } from "./join-inputs.ts";

const BOUND = 60;
const LEFTS = events({ prefix: "a", count: 150, keys: 6, seed: 41, step: 8, jitter: 25 });
const RIGHTS = events({ prefix: "b", count: 150, keys: 6, seed: 42, start: 3, step: 8, jitter: 25 });

/** Bursts of events with quiet stretches in between, so sessions open and close; out of order by up to ± jitter. */
function bursty(prefix: string, seed: number, count: number): Event[] {
  const random = seeded(seed);
  const out: Event[] = [];
  let time = 0;
  for (let i = 0; i < count; i++) {
    time += random() < 0.15 ? 60 + Math.floor(random() * 80) : Math.floor(random() * 12);
    out.push({ key: `k${Math.floor(random() * 3)}`, id: `${prefix}${i}`, ts: Math.max(0, time + Math.round((random() * 2 - 1) * 10)) });
  }
  return out;
}
const SESSION_LEFTS = bursty("a", 51, 120);
const SESSION_RIGHTS = bursty("b", 52, 120);
const GAP = 30;

/** Replaces `ts` by the timestamp the record carries downstream of the window. */
class RecordTimestamp<T extends { ts: number }> extends ProcessFunction<T, T> {
  processElement(value: T, ctx: ProcessContext, out: Collector<T>): void {
    out.collect({ ...value, ts: ctx.timestamp() ?? Number.NaN });
  }
}

function sources(env: StreamExecutionEnvironment, lefts: readonly Event[], rights: readonly Event[]): [DataStream<Event>, DataStream<Event>] {
  return [env.fromCollection(lefts).assignTimestampsAndWatermarks(eventTime(BOUND)), env.fromCollection(rights).assignTimestampsAndWatermarks(eventTime(BOUND))];
}

const allTimestamps = (lefts: readonly Event[], rights: readonly Event[]) => [...lefts, ...rights].map((e) => e.ts);

/** A coGroup function reporting the ids of each side (sorted), keyed by whichever side has elements. */
function groups(lefts: readonly Event[], rights: readonly Event[], out: Collector<Group>): void {
  const key = (lefts[0] ?? rights[0]).key;
  out.collect({ key, lefts: lefts.map((e) => e.id).sort(), rights: rights.map((e) => e.id).sort(), ts: 0 });
}

describe("window join", () => {
  it("the inputs are out of order within the watermark bound, and sessions have gaps", () => {
    for (const input of [LEFTS, RIGHTS, SESSION_LEFTS, SESSION_RIGHTS]) {
      expect(outOfOrderness(input)).toBeGreaterThan(0);
      expect(outOfOrderness(input)).toBeLessThanOrEqual(BOUND);
    }
    expect(sessionWindows(SESSION_LEFTS, SESSION_RIGHTS, GAP).length).toBeGreaterThan(10);
  });

  it("on tumbling windows, joins every pair of equal keys in the same window, at the window's last millisecond", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, LEFTS, RIGHTS);
    // The right side has another shape: each side's key comes from its own selector.
    const accounts = b.map((e) => ({ account: e.key, ref: e.id }));
    const out = a
      .join(accounts)
      .where((e) => e.key)
      .equalTo((p) => p.account)
      .window(TumblingEventTimeWindows.of(100))
      .apply((l, r): Pair => ({ left: l.id, right: r.ref, ts: 0 }))
      .process(new RecordTimestamp<Pair>())
      .collect();
    await env.execute();
    const expected = windowJoin(LEFTS, RIGHTS, slidingWindows(allTimestamps(LEFTS, RIGHTS), 100, 100));
    expect(expected.length).toBeGreaterThan(100);
    expect(sorted(out.values)).toEqual(sorted(expected));
  });

  it("on sliding windows, a pair is joined once in every window holding both, with a FlatJoinFunction", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, LEFTS, RIGHTS);
    const out = a
      .join(b)
      .where((e) => e.key)
      .equalTo((e) => e.key)
      .window(SlidingEventTimeWindows.of(100, 40))
      .apply((l: Event, r: Event, out: Collector<Pair>) => {
        // Zero or one output per pair: only pairs with the left first (or at the same time).
        if (l.ts <= r.ts) out.collect({ left: l.id, right: r.id, ts: 0 });
      })
      .process(new RecordTimestamp<Pair>())
      .collect();
    await env.execute();
    const windows = slidingWindows(allTimestamps(LEFTS, RIGHTS), 100, 40);
    const byId = new Map([...LEFTS, ...RIGHTS].map((e) => [e.id, e]));
    const expected = windowJoin(LEFTS, RIGHTS, windows).filter((p) => byId.get(p.left)!.ts <= byId.get(p.right)!.ts);
    expect(expected.length).toBeGreaterThan(100);
    expect(sorted(out.values)).toEqual(sorted(expected));
  });

  it("on session windows, joins the pairs of each session of a key, sessions spanning both sides", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, SESSION_LEFTS, SESSION_RIGHTS);
    const out = a
      .join(b)
      .where((e) => e.key)
      .equalTo((e) => e.key)
      .window(EventTimeSessionWindows.withGap(GAP))
      .apply({ join: (l: Event, r: Event): Pair => ({ left: l.id, right: r.id, ts: 0 }) })
      .process(new RecordTimestamp<Pair>())
      .collect();
    await env.execute();
    const expected = sessionJoin(SESSION_LEFTS, SESSION_RIGHTS, sessionWindows(SESSION_LEFTS, SESSION_RIGHTS, GAP));
    expect(expected.length).toBeGreaterThan(100);
    expect(sorted(out.values)).toEqual(sorted(expected));
  });

  /**
   * A join function object with a field set in open(): each subtask must have its own copy. Closes
   * are reported through a function field (kept, not copied), so the test sees them.
   */
  class SubtaskJoin {
    private subtask = -1;
    private readonly closed: { push(subtask: number): void };
    constructor(closed: number[]) {
      this.closed = { push: (subtask) => closed.push(subtask) };
    }
    open(ctx: RuntimeContext): void {
      this.subtask = ctx.subtaskIndex;
    }
    close(): void {
      this.closed.push(this.subtask);
    }
    join(l: Event, r: Event): string {
      if (this.subtask < 0) throw new Error("join() before open()");
      return `${this.subtask}:${l.id}+${r.id}`;
    }
  }

  it("a join function object is opened in each subtask before it joins, and closed at the end", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, LEFTS, RIGHTS);
    const closed: number[] = [];
    const out = a
      .join(b)
      .where((e) => e.key)
      .equalTo((e) => e.key)
      .window(TumblingEventTimeWindows.of(100))
      .apply(new SubtaskJoin(closed))
      .collect();
    await env.execute();
    const expected = windowJoin(LEFTS, RIGHTS, slidingWindows(allTimestamps(LEFTS, RIGHTS), 100, 100)).map((p) => `${p.left}+${p.right}`);
    expect(sorted(out.values.map((s) => s.slice(s.indexOf(":") + 1)))).toEqual(sorted(expected));
    expect(sorted(closed)).toEqual([0, 1]);
    expect(new Set(out.values.map((s) => s.split(":")[0]))).toEqual(new Set(["0", "1"]));
  });

  it("a function object without join() is refused when the job is built", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, LEFTS, RIGHTS);
    const windowed = a
      .join(b)
      .where((e) => e.key)
      .equalTo((e) => e.key)
      .window(TumblingEventTimeWindows.of(100));
    expect(() => windowed.apply({ joint: () => 1 } as never)).toThrow("a join function must be a function or an object with a join() method");
  });
});

describe("coGroup", () => {
  function job(lefts: readonly Event[], rights: readonly Event[], assigner: TumblingEventTimeWindows | SlidingEventTimeWindows | EventTimeSessionWindows) {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, lefts, rights);
    const out = a
      .coGroup(b)
      .where((e) => e.key)
      .equalTo((e) => e.key)
      .window(assigner)
      .apply(groups)
      .process(new RecordTimestamp<Group>())
      .collect();
    return { env, out };
  }

  it("on tumbling windows, calls the function once per key and window with each side's elements, one side possibly empty", async () => {
    const { env, out } = job(LEFTS, RIGHTS, TumblingEventTimeWindows.of(50));
    await env.execute();
    const expected = coGroup(LEFTS, RIGHTS, slidingWindows(allTimestamps(LEFTS, RIGHTS), 50, 50).map((window) => ({ window })));
    expect(expected.some((g) => g.lefts.length === 0)).toBe(true);
    expect(expected.some((g) => g.rights.length === 0)).toBe(true);
    expect(sorted(out.values)).toEqual(sorted(expected));
  });

  it("on sliding windows, groups each key's elements in every window they fall into", async () => {
    const { env, out } = job(LEFTS, RIGHTS, SlidingEventTimeWindows.of(90, 30));
    await env.execute();
    const expected = coGroup(LEFTS, RIGHTS, slidingWindows(allTimestamps(LEFTS, RIGHTS), 90, 30).map((window) => ({ window })));
    expect(sorted(out.values)).toEqual(sorted(expected));
  });

  it("on session windows, groups each session of a key, merged across both sides", async () => {
    const { env, out } = job(SESSION_LEFTS, SESSION_RIGHTS, EventTimeSessionWindows.withGap(GAP));
    await env.execute();
    const expected = coGroup(SESSION_LEFTS, SESSION_RIGHTS, sessionWindows(SESSION_LEFTS, SESSION_RIGHTS, GAP));
    expect(expected.some((g) => g.lefts.length > 0 && g.rights.length > 0)).toBe(true);
    expect(sorted(out.values)).toEqual(sorted(expected));
  });
});
