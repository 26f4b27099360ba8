// Inputs of the windowing golden tests: deterministic out-of-order events with some very late
// ones, a punctuated watermark strategy (deterministic watermark positions), and the source side
// of the pipeline at parallelism 1 so the window operator sees one ordered channel.

import {
  ProcessFunction,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type DataStream,
  type JobExecutor,
  type ProcessContext,
  type SingleOutputStreamOperator,
} from "../../src/index.ts";
import { seeded } from "./reference-model.ts";

export interface Event {
  id: number;
  key: string;
  ts: number;
  v: number;
}

export const tsOf = (e: Event): number => e.ts;
export const keyOf = (e: Event): string => e.key;

/**
 * `count` events over `keys` keys, 50 ms of event time apart: most are up to `disorderMs` out of
 * order, and a `lateShare` of them is 1–4 s older than that (late for a bound of `disorderMs`).
 */
export function generateEvents(count: number, options: { seed?: number; keys?: number; disorderMs?: number; lateShare?: number } = {}): Event[] {
  const { seed = 7, keys = 5, disorderMs = 800, lateShare = 0.15 } = options;
  const random = seeded(seed);
  const events: Event[] = [];
  for (let id = 0; id < count; id++) {
    const base = 5_000 + id * 50;
    const late = random() < lateShare;
    const ts = late ? base - disorderMs - 1_000 - Math.floor(random() * 3_000) : base - Math.floor(random() * disorderMs);
    events.push({ id, key: `k${Math.floor(random() * keys)}`, ts, v: 1 + Math.floor(random() * 9) });
  }
  return events;
}

/** After every event, watermark = highest timestamp − bound − 1 (Flink's bounded out-of-orderness, but per event). */
export function punctuated<T>(boundMs: number, timestampOf: (e: T) => number): WatermarkStrategy<T> {
  return WatermarkStrategy.forGenerator<T>(() => {
    let highest = -Infinity;
    return {
      onEvent: (_event, timestamp, output) => {
        highest = Math.max(highest, timestamp);
        output.emitWatermark(highest - boundMs - 1);
      },
      onPeriodicEmit: () => undefined,
    };
  }).withTimestampAssigner((e) => timestampOf(e));
}

/** An environment with parallelism 2 (windows run on two subtasks), optionally with an executor. */
export function environment(executor?: JobExecutor): StreamExecutionEnvironment {
  return new StreamExecutionEnvironment({ parallelism: 2, executor });
}

/** The events with timestamps and punctuated watermarks, at parallelism 1 (one ordered channel into each window subtask). */
export function eventStream(env: StreamExecutionEnvironment, events: readonly Event[], boundMs: number): SingleOutputStreamOperator<Event> {
  return env.fromCollection(events).assignTimestampsAndWatermarks(punctuated<Event>(boundMs, tsOf)).setParallelism(1);
}

/** Pairs each record with the event-time timestamp it carries (a window result carries its window's end − 1). */
class WithTimestamp<T> extends ProcessFunction<T, [number | null, T]> {
  processElement(value: T, ctx: ProcessContext, out: Collector<[number | null, T]>): void {
    out.collect([ctx.timestamp() ?? null, value]);
  }
}

export function withTimestamps<T>(stream: DataStream<T>): DataStream<[number | null, T]> {
  return stream.process(new WithTimestamp<T>());
}

export const sum = (events: readonly Event[]): number => events.reduce((total, e) => total + e.v, 0);
