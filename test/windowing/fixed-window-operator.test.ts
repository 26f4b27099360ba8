// The fixed-window operator against the general one: on random keyed input (out of order, late
// elements, allowed lateness, a late-data side output), tumbling and sliding windows, reduce,
// aggregate, collecting and per-window-state process functions, both must emit the same records in
// the same order, also when the fixed one is checkpointed and restored in the middle; and state
// saved by the general operator restores into the fixed one.

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  CountTrigger,
  EventTimeTrigger,
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  type Collector,
  type ProcessWindowContext,
  type TimeWindow,
} from "../../src/index.ts";
import type { StreamOperator } from "../../src/operators/operator.ts";
import { SNAPSHOT_CODEC_OPTIONS } from "../../src/state/operator-snapshot.ts";
import { FixedWindowOperator, fixedWindowsOf } from "../../src/windowing/fixed-window-operator.ts";
import { aggregating, collecting, keyedProcess, passThrough, reducing } from "../../src/windowing/internal-window-functions.ts";
import { WindowOperator, type WindowOperatorSpec } from "../../src/windowing/window-operator.ts";
import { CountEvictor, type WindowAssigner, type Window } from "../../src/windowing/index.ts";
import { feed, openSubtasks, snapshotOf, type Snapshot, type Step, type Subtask } from "../fixtures/restored-operators.ts";

interface Event {
  key: string;
  id: number;
}

const keyOf = (r: unknown): unknown => (r as Event).key;
const codec = new Packr(SNAPSHOT_CODEC_OPTIONS);

/** Counts how often each window fired, in per-window state: the state must live exactly as long as the window. */
class FiringsPerWindow extends ProcessWindowFunction<number, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, counts: readonly number[], out: Collector<string>): void {
    const firings = ctx.windowState().getState(new ValueStateDescriptor<number>("firings"));
    const n = (firings.value() ?? 0) + 1;
    firings.update(n);
    out.collect(`${key} [${ctx.window().start},${ctx.window().end}) count ${counts[0]} firing ${n}`);
  }
}

type FunctionKind = "reduce" | "aggregate" | "collect" | "process";

function functionsOf(kind: FunctionKind): Pick<WindowOperatorSpec, "aggregation" | "windowFunction"> {
  const count = { createAccumulator: () => 0, add: (_e: Event, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b };
  switch (kind) {
    case "reduce":
      // Not commutative: the order elements reach a window is part of the result.
      return { aggregation: reducing<unknown>((a, b) => ({ key: (a as Event).key, id: Number(`${(a as Event).id}${(b as Event).id}`.slice(-12)) })), windowFunction: passThrough() };
    case "aggregate": {
      // The key goes into the result, so that results can be told apart by key after a restore.
      const keyedCount = { createAccumulator: () => ({ key: "", n: 0 }), add: (e: Event, acc: { key: string; n: number }) => ({ key: e.key, n: acc.n + 1 }), getResult: (acc: { key: string; n: number }) => `${acc.key} ${acc.n}`, merge: (a: { key: string; n: number }) => a };
      return { aggregation: aggregating(keyedCount) as WindowOperatorSpec["aggregation"], windowFunction: passThrough() };
    }
    case "collect":
      return { aggregation: collecting<unknown>(), windowFunction: passThrough() };
    case "process":
      return { aggregation: aggregating(count) as WindowOperatorSpec["aggregation"], windowFunction: keyedProcess(new FiringsPerWindow(), true) };
  }
}

interface Case {
  size: number;
  slide: number;
  offset: number;
  lateness: number;
  sideOutput: boolean;
  kind: FunctionKind;
  steps: Step[];
}

function specOf(c: Case): WindowOperatorSpec {
  const assigner = (c.size === c.slide ? TumblingEventTimeWindows.of(c.size, c.offset) : SlidingEventTimeWindows.of(c.size, c.slide, c.offset)) as WindowAssigner<unknown, Window>;
  return { assigner, trigger: EventTimeTrigger.create(), allowedLateness: c.lateness, lateDataTag: c.sideOutput ? "late" : undefined, ...functionsOf(c.kind) };
}

const general = (c: Case) => (): StreamOperator => new WindowOperator(keyOf, specOf(c));
const fixed = (c: Case) => (): StreamOperator => new FixedWindowOperator(keyOf, specOf(c));

/** Records and side outputs with their timestamps, in order (watermarks left out). */
function lines(subtasks: readonly Subtask[]): string[] {
  return subtasks.flatMap((s) => s.emitted).flatMap((e) => (e.kind === "watermark" ? [] : [`${e.kind === "side" ? "[late] " : ""}${JSON.stringify(e.value)} @${e.timestamp}`]));
}

/** Per output key (the record's key), in order: what survives a restore, where keys interleave differently. */
function byKey(all: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of all) (out[/k\d/.exec(line)?.[0] ?? "?"] ??= []).push(line);
  return out;
}

async function run(create: () => StreamOperator, steps: readonly Step[]): Promise<string[]> {
  const subtasks = await openSubtasks(create, 1, 0);
  feed(subtasks, steps, keyOf);
  return lines(subtasks);
}

/** Runs `before` up to `cut`, snapshots through msgpack, restores into `after` (replaying the last watermark) and finishes. */
async function runWithRestore(before: () => StreamOperator, after: () => StreamOperator, steps: readonly Step[], cut: number): Promise<{ output: string[]; restored: Subtask[] }> {
  const first = await openSubtasks(before, 1, 0);
  feed(first, steps.slice(0, cut), keyOf);
  const snapshot = codec.unpack(codec.pack(snapshotOf(first))) as Snapshot;
  const lastWatermark = steps.slice(0, cut).reverse().find((s) => s.kind === "watermark");
  const restored = await openSubtasks(after, 2, 0, snapshot);
  feed(restored, [...(lastWatermark ? [lastWatermark] : []), ...steps.slice(cut)], keyOf);
  return { output: [...lines(first), ...lines(restored)], restored };
}

/** Keys k0–k4, timestamps drifting upward with jitter (some late), a watermark now and then trailing the highest timestamp. */
const stepsArbitrary = fc
  .array(fc.record({ key: fc.integer({ min: 0, max: 4 }), advance: fc.integer({ min: 0, max: 40 }), jitter: fc.integer({ min: -60, max: 10 }), watermark: fc.integer({ min: 0, max: 5 }) }), { minLength: 5, maxLength: 80 })
  .map((draws) => {
    const steps: Step[] = [];
    let now = 0;
    let highest = -Infinity;
    draws.forEach((d, id) => {
      now += d.advance;
      const ts = Math.max(0, now + d.jitter);
      highest = Math.max(highest, ts);
      steps.push({ kind: "record", value: { key: `k${d.key}`, id }, timestamp: ts });
      if (d.watermark === 0) steps.push({ kind: "watermark", timestamp: highest - 15 });
    });
    steps.push({ kind: "watermark", timestamp: highest + 1_000 });
    return steps;
  });

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    slide: fc.constantFrom(10, 20, 25, 50),
    panes: fc.integer({ min: 1, max: 5 }),
    offsetShare: fc.double({ min: 0, max: 0.99, noNaN: true }),
    lateness: fc.constantFrom(0, 0, 5, 30, 100),
    sideOutput: fc.boolean(),
    kind: fc.constantFrom<FunctionKind>("reduce", "aggregate", "collect", "process"),
    steps: stepsArbitrary,
  })
  .map(({ slide, panes, offsetShare, ...rest }) => ({ ...rest, slide, size: slide * panes, offset: Math.floor(offsetShare * slide) }));

describe("the fixed-window operator", () => {
  it("emits what the general window operator emits, in the same order, on random input", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        expect(await run(fixed(c), c.steps)).toEqual(await run(general(c), c.steps));
      }),
      { numRuns: 150, seed: 20_261_203 },
    );
  });

  it("gives the same results when checkpointed, msgpack-encoded and restored at parallelism 2 in the middle, and leaves no state behind", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, fc.double({ min: 0, max: 1, noNaN: true }), async (c, where) => {
        const cut = Math.floor(where * c.steps.length);
        const expected = byKey(await run(general(c), c.steps));
        const { output, restored } = await runWithRestore(fixed(c), fixed(c), c.steps, cut);
        expect(byKey(output)).toEqual(expected);
        for (const subtask of restored) expect(subtask.state.snapshot()).toEqual([]);
        for (const subtask of restored) expect(subtask.timers.size).toBe(0);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it("restores state saved by the general window operator (savepoints from before it existed)", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, fc.double({ min: 0, max: 1, noNaN: true }), async (c, where) => {
        const cut = Math.floor(where * c.steps.length);
        const expected = byKey(await run(general(c), c.steps));
        const { output, restored } = await runWithRestore(general(c), fixed(c), c.steps, cut);
        expect(byKey(output)).toEqual(expected);
        for (const subtask of restored) expect(subtask.state.snapshot()).toEqual([]);
      }),
      { numRuns: 60, seed: 11 },
    );
  });

  it("counts late elements it drops, and sends them to the side output when there is one", async () => {
    const base: Case = { size: 100, slide: 50, offset: 0, lateness: 0, sideOutput: false, kind: "aggregate", steps: [] };
    const steps: Step[] = [
      { kind: "record", value: { key: "k1", id: 0 }, timestamp: 120 },
      { kind: "watermark", timestamp: 300 },
      { kind: "record", value: { key: "k1", id: 1 }, timestamp: 150 },
    ];
    const dropping = await openSubtasks(fixed(base), 1, 0);
    feed(dropping, steps, keyOf);
    expect((dropping[0].operator as FixedWindowOperator).numLateRecordsDropped).toBe(1);
    expect(lines(dropping)).toEqual(['"k1 1" @149', '"k1 1" @199']);
    expect(await run(fixed({ ...base, sideOutput: true }), steps)).toEqual(['"k1 1" @149', '"k1 1" @199', '[late] {"key":"k1","id":1} @150']);
  });

  it("a general window operator refuses state of the fixed one, naming the cause", async () => {
    const c: Case = { size: 100, slide: 100, offset: 0, lateness: 0, sideOutput: false, kind: "aggregate", steps: [{ kind: "record", value: { key: "k1", id: 0 }, timestamp: 10 }] };
    const first = await openSubtasks(fixed(c), 1, 0);
    feed(first, c.steps, keyOf);
    await expect(openSubtasks(general(c), 1, 0, snapshotOf(first))).rejects.toThrow(/tumbling or sliding window with the default trigger/);
  });

  it("serves only tumbling and sliding event-time windows with the default trigger and no evictor", () => {
    const spec = specOf({ size: 100, slide: 50, offset: 0, lateness: 0, sideOutput: false, kind: "aggregate", steps: [] });
    expect(fixedWindowsOf(spec)).toMatchObject({ size: 100, slide: 50, offset: 0 });
    expect(fixedWindowsOf({ ...spec, assigner: TumblingEventTimeWindows.of(30, 5) as WindowAssigner<unknown, Window> })).toMatchObject({ size: 30, slide: 30, offset: 5 });
    expect(fixedWindowsOf({ ...spec, trigger: CountTrigger.of(2) })).toBeUndefined();
    expect(fixedWindowsOf({ ...spec, evictor: CountEvictor.of(2) })).toBeUndefined();
    expect(fixedWindowsOf({ ...spec, assigner: SlidingProcessingTimeWindows.of(100, 50) as WindowAssigner<unknown, Window> })).toBeUndefined();
    expect(() => new FixedWindowOperator(keyOf, { ...spec, trigger: CountTrigger.of(2) })).toThrow(/needs the general WindowOperator/);
  });
});
