// Keyed connect end to end: `connect(a, b).keyBy(ka, kb).process(KeyedCoProcessFunction)` with
// keyed state shared by both sides and event-time timers, against a brute-force count over the
// whole input; plus a trace of the operator showing timers wait for the slower input's watermark.

import { describe, expect, it } from "vitest";
import {
  KeyedCoProcessFunction,
  ProcessFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type KeyedRuntimeContext,
  type OnTimerContext,
  type ProcessContext,
  type ValueState,
} from "../../src/index.ts";
import { KeyedCoProcessOperator } from "../../src/joins/keyed-co-process-operator.ts";
import { sorted } from "../api/comparisons.ts";
import { eventTime, events, type Event } from "./join-inputs.ts";
import { harness, left, right, status, watermark } from "./operator-harness.ts";

interface Payment {
  account: string;
  id: string;
  ts: number;
  amount: number;
}

interface Summary {
  key: string;
  bucketEnd: number;
  orders: number;
  paid: number;
  subtask: number;
  /** The timestamp the summary record carries downstream. */
  ts?: number;
}

const BUCKET = 100;
const bucketEnd = (ts: number) => Math.floor(ts / BUCKET) * BUCKET + BUCKET - 1;

type Buckets = Record<string, { orders: number; paid: number }>;

/** Per key and 100 ms bucket of event time: orders counted, payments summed; reported when the bucket's time has passed. */
class OrdersAndPayments extends KeyedCoProcessFunction<string, Event, Payment, Summary> {
  private buckets!: ValueState<Buckets>;

  override open(ctx: KeyedRuntimeContext): void {
    this.buckets = ctx.getState(new ValueStateDescriptor<Buckets>("buckets"));
  }

  processElement1(order: Event, ctx: KeyedProcessContext<string>): void {
    this.check(order.key, order.ts, ctx);
    this.add(order.ts, 1, 0, ctx);
  }

  processElement2(payment: Payment, ctx: KeyedProcessContext<string>): void {
    this.check(payment.account, payment.ts, ctx);
    this.add(payment.ts, 0, payment.amount, ctx);
  }

  override onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<Summary>): void {
    if (ctx.timeDomain() !== "event-time") throw new Error(`unexpected ${ctx.timeDomain()} timer`);
    const buckets = { ...this.buckets.value() };
    const bucket = buckets[timestamp];
    delete buckets[timestamp];
    if (Object.keys(buckets).length === 0) this.buckets.clear();
    else this.buckets.update(buckets);
    out.collect({ key: ctx.getCurrentKey(), bucketEnd: timestamp, ...bucket, subtask: this.getRuntimeContext().subtaskIndex });
  }

  private check(key: string, ts: number, ctx: KeyedProcessContext<string>): void {
    if (ctx.getCurrentKey() !== key) throw new Error(`current key ${ctx.getCurrentKey()} for a record of ${key}`);
    if (ctx.timestamp() !== ts) throw new Error(`timestamp ${ctx.timestamp()} for a record at ${ts}`);
  }

  private add(ts: number, orders: number, paid: number, ctx: KeyedProcessContext<string>): void {
    const end = bucketEnd(ts);
    const buckets = { ...this.buckets.value() };
    const bucket = buckets[end] ?? { orders: 0, paid: 0 };
    buckets[end] = { orders: bucket.orders + orders, paid: bucket.paid + paid };
    this.buckets.update(buckets);
    ctx.timerService().registerEventTimeTimer(end);
  }
}

/** Adds the timestamp each summary carries downstream. */
class WithTimestamp extends ProcessFunction<Summary, Summary> {
  processElement(summary: Summary, ctx: ProcessContext, out: Collector<Summary>): void {
    out.collect({ ...summary, ts: ctx.timestamp() });
  }
}

const ORDERS = events({ prefix: "o", count: 150, keys: 8, seed: 31, step: 7, jitter: 30 });
const PAYMENTS: Payment[] = events({ prefix: "p", count: 150, keys: 8, seed: 32, start: 2, step: 7, jitter: 30 }).map((e, i) => ({
  account: e.key,
  id: e.id,
  ts: e.ts,
  amount: (i % 9) + 1,
}));
const paymentTime = WatermarkStrategy.forBoundedOutOfOrderness<Payment>(60).withTimestampAssigner((p) => p.ts);

/** Brute force: every key and bucket over the whole time range, counting both inputs in full. */
function expectedSummaries(): Omit<Summary, "subtask">[] {
  const keys = new Set([...ORDERS.map((o) => o.key), ...PAYMENTS.map((p) => p.account)]);
  const last = Math.max(...ORDERS.map((o) => o.ts), ...PAYMENTS.map((p) => p.ts));
  const out: Omit<Summary, "subtask">[] = [];
  for (const key of keys) {
    for (let start = 0; start <= last; start += BUCKET) {
      const inBucket = (ts: number) => ts >= start && ts < start + BUCKET;
      const orders = ORDERS.filter((o) => o.key === key && inBucket(o.ts)).length;
      const payments = PAYMENTS.filter((p) => p.account === key && inBucket(p.ts));
      const paid = payments.reduce((sum, p) => sum + p.amount, 0);
      if (orders + payments.length > 0) out.push({ key, bucketEnd: start + BUCKET - 1, orders, paid, ts: start + BUCKET - 1 });
    }
  }
  return out;
}

describe("keyed connect with a KeyedCoProcessFunction", () => {
  it("both sides share the state of equal keys, and event-time timers report each bucket once all its records are in", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const orders = env.fromCollection(ORDERS).assignTimestampsAndWatermarks(eventTime(60));
    const payments = env.fromCollection(PAYMENTS).assignTimestampsAndWatermarks(paymentTime);
    const out = orders
      .connect(payments)
      .keyBy(
        (o) => o.key,
        (p) => p.account,
      )
      .process(new OrdersAndPayments())
      .process(new WithTimestamp())
      .collect();
    await env.execute();
    const withoutSubtask = out.values.map(({ subtask: _subtask, ...rest }) => rest);
    expect(sorted(withoutSubtask)).toEqual(sorted(expectedSummaries()));
    // Equal keys of both sides met in one subtask, and the keys were spread over both.
    const subtasksOfKey = new Map<string, Set<number>>();
    for (const s of out.values) subtasksOfKey.set(s.key, (subtasksOfKey.get(s.key) ?? new Set()).add(s.subtask));
    for (const subtasks of subtasksOfKey.values()) expect(subtasks.size).toBe(1);
    expect(new Set(out.values.map((s) => s.subtask)).size).toBe(2);
  });

  it("connecting two keyed streams gives the same keyed two-input operator", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const orders = env.fromCollection(ORDERS).assignTimestampsAndWatermarks(eventTime(60));
    const payments = env.fromCollection(PAYMENTS).assignTimestampsAndWatermarks(paymentTime);
    const out = orders
      .keyBy((o) => o.key)
      .connect(payments.keyBy((p) => p.account))
      .process(new OrdersAndPayments())
      .process(new WithTimestamp())
      .collect();
    await env.execute();
    expect(sorted(out.values.map(({ subtask: _subtask, ...rest }) => rest))).toEqual(sorted(expectedSummaries()));
  });

  it("a KeyedCoProcessFunction on connected streams that are not keyed is refused", () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const connected = env.fromCollection(ORDERS).connect(env.fromCollection(PAYMENTS));
    expect(() => connected.process(new OrdersAndPayments())).toThrow("a KeyedCoProcessFunction needs keyed inputs: call keyBy(keyA, keyB) on the connected streams first");
  });
});

describe("KeyedCoProcessOperator traces", () => {
  /** Registers an event-time timer at each record's timestamp and reports "key@time" when it fires. */
  class FireAtRecordTime extends KeyedCoProcessFunction<string, Event, Event, string> {
    processElement1(_e: Event, ctx: KeyedProcessContext<string>): void {
      ctx.timerService().registerEventTimeTimer(ctx.timestamp()!);
    }
    processElement2(_e: Event, ctx: KeyedProcessContext<string>): void {
      ctx.timerService().registerEventTimeTimer(ctx.timestamp()!);
    }
    override onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
      out.collect(`${ctx.getCurrentKey()}@${timestamp}`);
    }
  }

  it("event-time timers fire only when the watermark of both inputs has passed them, and their output carries the timer's time", async () => {
    const key = (e: unknown) => (e as Event).key;
    const h = await harness(new KeyedCoProcessOperator(key, key, new FireAtRecordTime()));
    const e = (k: string, ts: number): Event => ({ key: k, id: `${k}${ts}`, ts });
    expect(h.run([left(e("x", 10), 10), right(e("y", 20), 20), left(e("y", 30), 30), watermark(0, 100)])).toEqual([]);
    expect(h.run([watermark(1, 25)])).toEqual([
      { kind: "record", value: "x@10", timestamp: 10 },
      { kind: "record", value: "y@20", timestamp: 20 },
      { kind: "watermark", timestamp: 25 },
    ]);
    expect(h.run([watermark(1, 40)])).toEqual([
      { kind: "record", value: "y@30", timestamp: 30 },
      { kind: "watermark", timestamp: 40 },
    ]);
  });

  it("an idle input is left out of event time: timers follow the active input alone until it is active again", async () => {
    const key = (e: unknown) => (e as Event).key;
    const h = await harness(new KeyedCoProcessOperator(key, key, new FireAtRecordTime()));
    const e = (k: string, ts: number): Event => ({ key: k, id: `${k}${ts}`, ts });
    expect(h.run([left(e("x", 10), 10), left(e("x", 50), 50), watermark(0, 20), status(1, "idle")])).toEqual([
      { kind: "record", value: "x@10", timestamp: 10 },
      { kind: "watermark", timestamp: 20 },
    ]);
    // Active again at a lower watermark: event time does not go back, and waits for it again.
    expect(h.run([status(1, "active"), watermark(1, 15), watermark(0, 60)])).toEqual([]);
    expect(h.run([watermark(1, 55)])).toEqual([
      { kind: "record", value: "x@50", timestamp: 50 },
      { kind: "watermark", timestamp: 55 },
    ]);
  });
});
