// Nexmark q12, processing-time windows: how many bids each bidder places in each 10 s tumbling
// window of processing time (the wall clock when the bid reaches the window operator).
//
//   CREATE VIEW B AS SELECT *, PROCTIME() AS p_time FROM bid;
//   SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
//   FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
//   GROUP BY bidder, window_start, window_end;
//
// A processing-time window fires when the clock reaches its end. weir, like Flink, drops the
// processing-time timers still pending when a bounded input ends, so with the plain processing-time
// trigger the windows open at the end of a bounded run would never report. This job's trigger
// also fires a window (and purges it) when its input ends: on a bounded input every bid is counted
// exactly once, in the window of the moment it arrived. Which window that is depends on the clock.
//
//   npx tsx examples/nexmark/q12.ts --events 1000000

import {
  ProcessWindowFunction,
  Trigger,
  TriggerResult,
  TumblingProcessingTimeWindows,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  type TimeWindow,
  type TriggerContext,
} from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import { bids, queryJob, runIfMain } from "./common.ts";

export interface Q12Row {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

const SIZE_MS = 10_000;

/**
 * An event-time timer here fires only on the watermark a bounded input ends with (+∞): no real
 * watermark reaches it. It stands for "the input has ended".
 */
export const END_OF_INPUT = Number.MAX_SAFE_INTEGER;

/** Fires when the clock reaches the window's end, or when the input ends, whichever comes first. */
export class ProcessingTimeOrEndOfInputTrigger extends Trigger<unknown, TimeWindow> {
  onElement(_element: unknown, _timestamp: number | undefined, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    ctx.registerEventTimeTimer(END_OF_INPUT);
    return TriggerResult.CONTINUE;
  }
  override onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE_AND_PURGE;
  }
  override onEventTime(time: number): TriggerResult {
    return time === END_OF_INPUT ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE;
  }
  override clear(window: TimeWindow, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
    ctx.deleteEventTimeTimer(END_OF_INPUT);
  }
}

const countBids: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (_bid, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

class WindowRow extends ProcessWindowFunction<number, Q12Row, number, TimeWindow> {
  process(bidder: number, ctx: ProcessWindowContext<TimeWindow>, counts: readonly number[], out: Collector<Q12Row>): void {
    const { start, end } = ctx.window();
    out.collect({ bidder, bid_count: counts[0], starttime: start, endtime: end });
  }
}

export function q12(events: DataStream<NexmarkEvent>): DataStream<Q12Row> {
  return bids(events)
    // Only the bidder crosses the shuffle, as Flink's planner projects.
    .map((b) => b.bidder)
    .name("bidder")
    .keyBy((bidder) => bidder)
    .window(TumblingProcessingTimeWindows.of(SIZE_MS))
    .trigger(new ProcessingTimeOrEndOfInputTrigger())
    .aggregate(countBids, new WindowRow())
    .name("q12-processing-time-windows");
}

export default queryJob(q12);
await runIfMain(import.meta.url, "q12", q12);
