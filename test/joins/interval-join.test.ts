// Interval joins end to end on the embedded cluster (parallelism 2), against a brute-force join
// over the whole input: out-of-order events, inclusive and exclusive bounds, negative bounds,
// output timestamps, and late records (held back by a gate until the watermark has passed them).

import { describe, expect, it } from "vitest";
import {
  KeyedProcessFunction,
  OutputTag,
  ProcessFunction,
  ProcessJoinFunction,
  StreamExecutionEnvironment,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type ProcessContext,
  type ProcessJoinContext,
} from "../../src/index.ts";
import { sorted } from "../api/comparisons.ts";
import { intervalJoin, type Pair } from "./brute-force.ts";
import { eventTime, events, gate, outOfOrderness, phasedSource, type Event, type Gate } from "./join-inputs.ts";

/** Emits each pair with the timestamps the context reports for it. */
class PairUp extends ProcessJoinFunction<Event, Event, Pair> {
  processElement(l: Event, r: Event, ctx: ProcessJoinContext, out: Collector<Pair>): void {
    if (ctx.getLeftTimestamp() !== l.ts || ctx.getRightTimestamp() !== r.ts) throw new Error(`context timestamps ${ctx.getLeftTimestamp()}/${ctx.getRightTimestamp()} for ${l.id}/${r.id}`);
    out.collect({ left: l.id, right: r.id, ts: ctx.getTimestamp() });
  }
}

/** Replaces `ts` by the timestamp the record actually carries downstream of the join. */
class RecordTimestamp extends ProcessFunction<Pair, Pair> {
  processElement(pair: Pair, ctx: ProcessContext, out: Collector<Pair>): void {
    out.collect({ ...pair, ts: ctx.timestamp() ?? Number.NaN });
  }
}

const LEFTS = events({ prefix: "a", count: 120, keys: 4, seed: 7, step: 10, jitter: 25 });
const RIGHTS = events({ prefix: "b", count: 120, keys: 4, seed: 11, start: 3, step: 10, jitter: 25 });
const BOUND = 50;

function sources(env: StreamExecutionEnvironment, lefts: readonly Event[], rights: readonly Event[]): [DataStream<Event>, DataStream<Event>] {
  return [env.fromCollection(lefts).assignTimestampsAndWatermarks(eventTime(BOUND)), env.fromCollection(rights).assignTimestampsAndWatermarks(eventTime(BOUND))];
}

describe("interval join", () => {
  it("the inputs are out of order, within the watermark bound", () => {
    expect(outOfOrderness(LEFTS)).toBeGreaterThan(10);
    expect(outOfOrderness(LEFTS)).toBeLessThanOrEqual(BOUND);
    expect(outOfOrderness(RIGHTS)).toBeLessThanOrEqual(BOUND);
  });

  it("emits every pair of equal keys whose right timestamp lies in [left + lower, left + upper], at the larger timestamp", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, LEFTS, RIGHTS);
    const joined = a
      .keyBy((e) => e.key)
      .intervalJoin(b.keyBy((e) => e.key))
      .between(-20, 30)
      .process(new PairUp());
    const out = joined.collect();
    const stamped = joined.process(new RecordTimestamp()).collect();
    await env.execute();
    const expected = intervalJoin(LEFTS, RIGHTS, { lower: -20, upper: 30 });
    expect(expected.length).toBeGreaterThan(100);
    expect(sorted(out.values)).toEqual(sorted(expected));
    expect(sorted(stamped.values)).toEqual(sorted(expected));
  });

  it("exclusive bounds leave out the pairs exactly at the bound they exclude", async () => {
    // Timestamps on a 10 ms grid and bounds on it: many pairs sit exactly at a bound.
    const lefts = events({ prefix: "a", count: 60, keys: 3, seed: 3, step: 10 }).map((e, i) => ({ ...e, ts: 10 * Math.floor(i / 2) }));
    const rights = events({ prefix: "b", count: 60, keys: 3, seed: 5, step: 10 }).map((e, i) => ({ ...e, ts: 10 * Math.floor(i / 2) }));
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, lefts, rights);
    const join = () => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(-10, 20);
    const results = {
      inclusive: join().process(new PairUp()).collect(),
      lowerExclusive: join().lowerBoundExclusive().process(new PairUp()).collect(),
      upperExclusive: join().upperBoundExclusive().process(new PairUp()).collect(),
      bothExclusive: join().lowerBoundExclusive().upperBoundExclusive().process(new PairUp()).collect(),
    };
    await env.execute();
    const bounds = { lower: -10, upper: 20 };
    const expected = {
      inclusive: intervalJoin(lefts, rights, bounds),
      lowerExclusive: intervalJoin(lefts, rights, { ...bounds, lowerExclusive: true }),
      upperExclusive: intervalJoin(lefts, rights, { ...bounds, upperExclusive: true }),
      bothExclusive: intervalJoin(lefts, rights, { ...bounds, lowerExclusive: true, upperExclusive: true }),
    };
    expect(expected.lowerExclusive.length).toBeLessThan(expected.inclusive.length);
    expect(expected.upperExclusive.length).toBeLessThan(expected.inclusive.length);
    for (const name of Object.keys(results) as (keyof typeof results)[]) expect(sorted(results[name].values), name).toEqual(sorted(expected[name]));
  });

  it("negative bounds join each left record with right records before it, and positive ones with records after it", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, LEFTS, RIGHTS);
    const join = (lower: number, upper: number) =>
      a
        .keyBy((e) => e.key)
        .intervalJoin(b.keyBy((e) => e.key))
        .between(lower, upper)
        .process(new PairUp())
        .collect();
    const before = join(-45, -5);
    const after = join(5, 45);
    const exact = join(0, 0);
    // Object form of the function, as well as the class form.
    const objectForm = a
      .keyBy((e) => e.key)
      .intervalJoin(b.keyBy((e) => e.key))
      .between(-45, -5)
      .process<string>({ processElement: (l, r, _ctx, out) => out.collect(`${l.id}+${r.id}`) })
      .collect();
    await env.execute();
    expect(sorted(before.values)).toEqual(sorted(intervalJoin(LEFTS, RIGHTS, { lower: -45, upper: -5 })));
    expect(sorted(after.values)).toEqual(sorted(intervalJoin(LEFTS, RIGHTS, { lower: 5, upper: 45 })));
    expect(sorted(exact.values)).toEqual(sorted(intervalJoin(LEFTS, RIGHTS, { lower: 0, upper: 0 })));
    expect(sorted(objectForm.values)).toEqual(sorted(intervalJoin(LEFTS, RIGHTS, { lower: -45, upper: -5 }).map((p) => `${p.left}+${p.right}`)));
  });

  describe("late records", () => {
    // Phase one: on-time records; the sources then wait. The watermark of both sides settles at
    // min(max left, max right) − BOUND − 1 = WATERMARK. A probe after the join opens the gate once
    // that watermark has passed the join; then phase two arrives: records far behind the watermark
    // (late) and records after everything so far (on time).
    const first = { lefts: events({ prefix: "a", count: 40, keys: 2, seed: 21, step: 10, jitter: 20 }), rights: events({ prefix: "b", count: 40, keys: 2, seed: 22, step: 10, jitter: 20 }) };
    const maxFirst = Math.max(...first.lefts.map((e) => e.ts), ...first.rights.map((e) => e.ts));
    const WATERMARK = Math.min(Math.max(...first.lefts.map((e) => e.ts)), Math.max(...first.rights.map((e) => e.ts))) - BOUND - 1;
    // Just behind the watermark: first-phase records they would match are still buffered.
    const lateLefts = events({ prefix: "late-a", count: 8, keys: 2, seed: 23, start: WATERMARK - 20, step: 2 });
    const lateRights = events({ prefix: "late-b", count: 8, keys: 2, seed: 24, start: WATERMARK - 19, step: 2 });
    const second = {
      lefts: [...lateLefts, ...events({ prefix: "c", count: 10, keys: 2, seed: 25, start: maxFirst, step: 5 })],
      rights: [...lateRights, ...events({ prefix: "d", count: 10, keys: 2, seed: 26, start: maxFirst + 2, step: 5 })],
    };
    const bounds = { lower: -30, upper: 30 };

    /** Passes pairs on; opens the gate when event time at the probe reaches `at` (so the join's has too). */
    class Probe extends KeyedProcessFunction<number, Pair, Pair> {
      /** The gate is reached through a function field (kept, not copied per subtask). */
      private readonly held: { open(): void };
      constructor(private readonly at: number, held: Gate) {
        super();
        this.held = { open: () => held.open() };
      }
      processElement(pair: Pair, ctx: KeyedProcessContext<number>, out: Collector<Pair>): void {
        out.collect(pair);
        if (ctx.timerService().currentWatermark() >= this.at) this.held.open();
        else ctx.timerService().registerEventTimeTimer(this.at);
      }
      override onTimer(): void {
        this.held.open();
      }
    }

    function job(withSideOutputs: boolean) {
      const held = gate();
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      // One assigner per side, so each side's watermark is exactly its highest timestamp − BOUND − 1.
      const a = env.fromSource(phasedSource(first.lefts, second.lefts, held), "lefts", eventTime(BOUND)).setParallelism(1);
      const b = env.fromSource(phasedSource(first.rights, second.rights, held), "rights", eventTime(BOUND)).setParallelism(1);
      const lateLeft = new OutputTag<Event>("late-left");
      const lateRight = new OutputTag<Event>("late-right");
      const joined = a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(bounds.lower, bounds.upper);
      if (withSideOutputs) joined.sideOutputLeftLateData(lateLeft).sideOutputRightLateData(lateRight);
      const pairs = joined.process(new PairUp());
      const out = pairs
        .keyBy(() => 0)
        .process(new Probe(WATERMARK, held))
        .collect();
      return { env, out, lateLefts: pairs.getSideOutput(lateLeft).collect(), lateRights: pairs.getSideOutput(lateRight).collect() };
    }

    it("the late records are behind the watermark, have partners still buffered, and the on-time ones are ahead of everything", () => {
      expect(Math.max(...lateLefts.map((e) => e.ts), ...lateRights.map((e) => e.ts))).toBeLessThan(WATERMARK);
      // Partners at or after the watermark cannot have been cleaned up yet when the late records arrive.
      const recent = (side: readonly Event[]) => side.filter((e) => e.ts >= WATERMARK);
      const withLate = [...intervalJoin(lateLefts, recent(first.rights), bounds), ...intervalJoin(recent(first.lefts), lateRights, bounds)];
      expect(withLate.length).toBeGreaterThan(5);
      expect(Math.min(...second.lefts.slice(8).map((e) => e.ts), ...second.rights.slice(8).map((e) => e.ts))).toBeGreaterThanOrEqual(maxFirst);
    });

    it("records behind the watermark are dropped and join nothing; later on-time records still join", async () => {
      const { env, out } = job(false);
      await env.execute();
      const onTime = (e: Event) => !e.id.startsWith("late");
      const expected = intervalJoin([...first.lefts, ...second.lefts].filter(onTime), [...first.rights, ...second.rights].filter(onTime), bounds);
      expect(expected.some((p) => p.left.startsWith("c") || p.right.startsWith("d"))).toBe(true);
      expect(sorted(out.values)).toEqual(sorted(expected));
    });

    it("with late-data side outputs, each side's late records go to its own side output", async () => {
      const { env, out, lateLefts: leftSide, lateRights: rightSide } = job(true);
      await env.execute();
      expect(sorted(leftSide.values)).toEqual(sorted(lateLefts));
      expect(sorted(rightSide.values)).toEqual(sorted(lateRights));
      expect(out.values.some((p) => p.left.startsWith("late") || p.right.startsWith("late"))).toBe(false);
    });
  });

  it("records without event-time timestamps fail the job, saying how to assign them", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const a = env.fromCollection(LEFTS.slice(0, 5));
    const b = env.fromCollection(RIGHTS.slice(0, 5));
    a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(0, 10).process(new PairUp()).collect();
    await expect(env.execute()).rejects.toThrow("an interval join needs event-time timestamps on both inputs: assign them with assignTimestampsAndWatermarks() before intervalJoin()");
  });

  it("between() refuses a lower bound above the upper one, and process() bounds that exclude everything", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const [a, b] = sources(env, LEFTS, RIGHTS);
    const join = () => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key));
    expect(() => join().between(10, 5)).toThrow("between(10, 5): the lower bound must not be above the upper bound");
    expect(() => join().between(0.5, 5)).toThrow("between(0.5, 5): bounds must be integer milliseconds");
    expect(() => join().between(5, 5).lowerBoundExclusive().process(new PairUp())).toThrow("between(5, 5) with exclusive bounds leaves no interval");
  });
});
