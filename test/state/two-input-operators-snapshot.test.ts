// Golden restore tests for the keyed two-input operators: the interval join and a
// KeyedCoProcessFunction with state and timers. Each scenario runs once without interruption and
// once with a checkpoint in the middle (keyed state and timers snapshotted, msgpack round trip,
// restored into fresh operators at parallelism 1 or split across 2 by key group); outputs must match.

import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { KeyedCoProcessFunction, MapStateDescriptor, ValueStateDescriptor, type Collector, type KeyedProcessContext, type KeyedRuntimeContext, type MapState, type OnTimerContext, type ValueState } from "../../src/index.ts";
import { IntervalJoinOperator } from "../../src/joins/interval-join-operator.ts";
import { KeyedCoProcessOperator } from "../../src/joins/keyed-co-process-operator.ts";
import type { ProcessJoinContext } from "../../src/joins/process-join-function.ts";
import type { StreamOperator } from "../../src/operators/operator.ts";
import { feed, openSubtasks, snapshotOf, type Snapshot, type Step, type Subtask } from "../fixtures/restored-operators.ts";
import { intervalJoin } from "../joins/brute-force.ts";
import { seeded, type Event } from "../joins/join-inputs.ts";

// ---- The harness: one operator per subtask, records routed by key group -------------------------

const codec = new Packr({ useRecords: false, moreTypes: false });

/** Records and side outputs per key (the output's first word), in order; watermarks left out (a restored run repeats its last ones). */
function byKey(subtasks: readonly Subtask[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of subtasks.flatMap((s) => s.emitted)) {
    if (e.kind === "watermark") continue;
    const text = String(e.value);
    (out[text.split(" ")[0]] ??= []).push(`${e.kind === "side" ? `[${e.tag}] ` : ""}${text} @${e.timestamp}`);
  }
  return out;
}

/** Cut right after the first watermark or time step from the middle on. */
function cutIndex(steps: readonly Step[]): number {
  for (let i = Math.floor(steps.length / 2); i < steps.length; i++) if (steps[i].kind !== "record") return i + 1;
  throw new Error("the scenario needs a watermark or time step after its middle");
}

/** Checks restore into 1 and 2 subtasks (from 1 and from 2) against the uninterrupted run; returns that run's output. */
async function expectRestoreInvariant(create: () => StreamOperator, steps: readonly Step[], options: { start?: number; drained?: boolean } = {}): Promise<Record<string, string[]>> {
  const { start = 0, drained = false } = options;
  const whole = await openSubtasks(create, 1, start);
  feed(whole, steps, keyOfEvent);
  const expected = byKey(whole);
  expect(Object.keys(expected).length).toBeGreaterThan(1);
  const cut = cutIndex(steps);
  const before = steps.slice(0, cut);
  // Restarted sources send their last watermarks again; the clock goes on from where it was.
  const replay = ([0, 1] as const).flatMap((input) => [...before].reverse().find((s) => s.kind === "watermark" && s.input === input) ?? []);
  const lastTime = [...before].reverse().find((s) => s.kind === "time");
  for (const [p1, p2] of [[1, 1], [1, 2], [2, 1]]) {
    const first = await openSubtasks(create, p1, start);
    feed(first, before, keyOfEvent);
    const raw = snapshotOf(first);
    expect(raw.keyed.length, "state at the cut").toBeGreaterThan(0);
    expect(raw.timers.length, "timers at the cut").toBeGreaterThan(0);
    const snapshot = codec.unpack(codec.pack(raw)) as Snapshot;
    const second = await openSubtasks(create, p2, lastTime?.kind === "time" ? lastTime.now : start, snapshot);
    feed(second, [...replay, ...steps.slice(cut)], keyOfEvent);
    for (const s of second) expect(s.records, `${p1} → ${p2}: records after the cut`).toBeGreaterThan(0);
    expect(byKey([...first, ...second]), `parallelism ${p1} → ${p2}`).toEqual(expected);
    // With `drained`, the final watermark leaves nothing behind: the restored cleanup timers fired.
    if (drained) for (const s of second) expect(s.state.snapshot(), `${p1} → ${p2}: state left at the end`).toEqual([]);
  }
  return expected;
}

// ---- Inputs -----------------------------------------------------------------------------------

/** Both sides' events over `keys` keys, up to ± jitter ms out of order; watermarks (highest − 2 × jitter) per input every 4 records. */
function twoSidedTrace(count: number, keys: number, seed: number, jitter: number): { steps: Step[]; lefts: Event[]; rights: Event[] } {
  const random = seeded(seed);
  const steps: Step[] = [];
  const lefts: Event[] = [];
  const rights: Event[] = [];
  const highest = [-Infinity, -Infinity];
  for (let i = 0; i < count; i++) {
    const input: 0 | 1 = random() < 0.5 ? 0 : 1;
    const ts = Math.max(0, i * 10 + Math.round((random() * 2 - 1) * jitter));
    const event: Event = { key: `k${Math.floor(random() * keys)}`, id: `${input === 0 ? "L" : "R"}${i}`, ts };
    (input === 0 ? lefts : rights).push(event);
    steps.push({ kind: "record", input, value: event, timestamp: ts });
    highest[input] = Math.max(highest[input], ts);
    if (i % 4 === 3) for (const side of [0, 1] as const) if (highest[side] > -Infinity) steps.push({ kind: "watermark", input: side, timestamp: highest[side] - 2 * jitter });
  }
  for (const side of [0, 1] as const) steps.push({ kind: "watermark", input: side, timestamp: 1e9 });
  return { steps, lefts, rights };
}

// ---- Scenarios ----------------------------------------------------------------------------------

const keyOfEvent = (e: unknown) => (e as Event).key;

describe("keyed two-input operators survive snapshot, msgpack and restore", () => {
  it("the interval join: buffered records of both sides join with records after the restore, as brute force says", async () => {
    const { steps, lefts, rights } = twoSidedTrace(160, 7, 53, 12);
    const join = { processElement: (l: Event, r: Event, _ctx: ProcessJoinContext, out: Collector<string>) => out.collect(`${l.key} ${l.id}+${r.id}`) };
    const expected = await expectRestoreInvariant(() => new IntervalJoinOperator<Event, Event, string>(keyOfEvent, keyOfEvent, { lowerBound: -40, upperBound: 25 }, join), steps, { drained: true });
    // No record is late (watermarks trail by the whole disorder): the output is every pair brute force finds.
    const bruteForce = intervalJoin(lefts, rights, { lower: -40, upper: 25 }).map((p) => `${p.left}+${p.right} @${p.ts}`);
    const actual = Object.values(expected).flat().map((line) => line.split(" ").slice(1).join(" "));
    expect(actual.sort()).toEqual(bruteForce.sort());
    expect(bruteForce.length).toBeGreaterThan(20);
  });

  it("a KeyedCoProcessFunction with value state holding a Map (with a serializer), map state and event- and processing-time timers", async () => {
    const { steps } = twoSidedTrace(160, 7, 59, 10);
    // Processing time moves too: every 8th step, 25 ms.
    const withTime: Step[] = [];
    steps.forEach((step, i) => {
      withTime.push(step);
      if (i % 8 === 7) withTime.push({ kind: "time", now: 10_000 + ((i + 1) / 8) * 25 });
    });
    await expectRestoreInvariant(() => new KeyedCoProcessOperator<string, Event, Event, string>(keyOfEvent, keyOfEvent, new OrdersAwaitingPayment()), withTime, { start: 10_000 });
  });
});

// ---- The co-process function ---------------------------------------------------------------------

const PENDING = new ValueStateDescriptor<Map<string, number>>("pending-orders", undefined, {
  serializer: { toSnapshot: (map) => [...map], fromSnapshot: (data) => new Map(data as [string, number][]) },
});
const PAID = new MapStateDescriptor<string, number>("paid-at");
const REMINDERS = new ValueStateDescriptor<number>("reminders", 0);

/**
 * Left events are orders, right events payments of the key's oldest pending order. An order still
 * unpaid 60 ms of event time later is reported; every 50 ms of processing time a key with pending
 * orders gets a reminder counting them.
 */
class OrdersAwaitingPayment extends KeyedCoProcessFunction<string, Event, Event, string> {
  private pending!: ValueState<Map<string, number>>;
  private paid!: MapState<string, number>;
  private reminders!: ValueState<number>;

  override open(ctx: KeyedRuntimeContext): void {
    this.pending = ctx.getState(PENDING);
    this.paid = ctx.getMapState(PAID);
    this.reminders = ctx.getState(REMINDERS);
  }

  processElement1(order: Event, ctx: KeyedProcessContext<string>): void {
    // A plain object after msgpack would have no .set: the restored run would throw here.
    const pending = this.pending.value() ?? new Map<string, number>();
    pending.set(order.id, order.ts);
    this.pending.update(pending);
    ctx.timerService().registerEventTimeTimer(order.ts + 60);
    ctx.timerService().registerProcessingTimeTimer(Math.floor(ctx.timerService().currentProcessingTime() / 50) * 50 + 50);
  }

  processElement2(payment: Event, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const pending = this.pending.value();
    const oldest = pending === undefined ? undefined : [...pending].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0];
    if (oldest === undefined) {
      out.collect(`${ctx.getCurrentKey()} payment ${payment.id} for nothing`);
      return;
    }
    pending!.delete(oldest[0]);
    if (pending!.size === 0) this.pending.clear();
    this.paid.put(oldest[0], payment.ts);
    out.collect(`${ctx.getCurrentKey()} ${oldest[0]} paid by ${payment.id}`);
  }

  override onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    const key = ctx.getCurrentKey();
    const pending = this.pending.value();
    if (ctx.timeDomain() === "processing-time") {
      if (pending === undefined) return;
      const count = this.reminders.value()! + 1;
      this.reminders.update(count);
      out.collect(`${key} reminder ${count} at ${timestamp}: ${[...pending.keys()].sort().join(",")}`);
      return;
    }
    for (const [id, ts] of pending ?? []) {
      if (ts + 60 === timestamp) out.collect(`${key} ${id} unpaid (${this.paid.keys().length} paid so far)`);
    }
  }
}
