// Nexmark q5, hot items: in every sliding window of 10 s (every 2 s), the auctions with the most bids.
//
//   SELECT AuctionBids.auction, AuctionBids.num
//   FROM (SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
//         FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
//         GROUP BY auction, window_start, window_end) AS AuctionBids
//   JOIN (SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
//         FROM (…the same counts…) AS CountBids
//         GROUP BY CountBids.starttime, CountBids.endtime) AS MaxBids
//   ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime
//      AND AuctionBids.num >= MaxBids.maxn;
//
// Three event-time stages. Bids per auction in 2 s tumbling panes; then, per auction, each sliding
// window's count as the sum of its five panes, when event time reaches the window's end (Flink's
// planner slices sliding windows into panes the same way, so a bid is counted once, not in five
// windows); then, keyed by the window's end, the counts of one window (a count carries its window's
// last millisecond as its timestamp, so all counts of a window fall in one 2 s tumbling window)
// and the auctions that reach the maximum.
//
//   npx tsx examples/nexmark/q5.ts --events 1000000

import {
  KeyedProcessFunction,
  ProcessWindowFunction,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type KeyedRuntimeContext,
  type OnTimerContext,
  type ProcessWindowContext,
  type TimeWindow,
  type ValueState,
} from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import { bids, queryJob, runIfMain } from "./common.ts";

export interface Q5Row {
  auction: number;
  num: number;
}

interface AuctionCount {
  auction: number;
  num: number;
  endtime: number;
}

const SIZE_MS = 10_000;
const SLIDE_MS = 2_000;

const countBids: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (_bid, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

/** One pane's count: the auction's bids in [endtime − 2 s, endtime). */
class PaneCount extends ProcessWindowFunction<number, AuctionCount, number, TimeWindow> {
  process(auction: number, ctx: ProcessWindowContext<TimeWindow>, counts: readonly number[], out: Collector<AuctionCount>): void {
    out.collect({ auction, num: counts[0], endtime: ctx.window().end });
  }
}

/**
 * Keyed by auction: the sliding windows' counts from the pane counts. A pane ending at p is in
 * the windows ending at p, p + 2 s, …, p + 8 s; each window end gets an event-time timer at its
 * last millisecond, which fires once every pane of the window has arrived (a pane is emitted
 * before the watermark that passes its end).
 */
export class SlidingCountsFromPanes extends KeyedProcessFunction<number, AuctionCount, AuctionCount> {
  /** [pane end, count] pairs, flattened, of the panes still in some window to come. */
  private panes!: ValueState<number[]>;

  override open(ctx: KeyedRuntimeContext): void {
    this.panes = ctx.getState(new ValueStateDescriptor<number[]>("panes"));
  }

  processElement(pane: AuctionCount, ctx: KeyedProcessContext<number>, _out: Collector<AuctionCount>): void {
    const panes = this.panes.value() ?? [];
    panes.push(pane.endtime, pane.num);
    this.panes.update(panes);
    for (let end = pane.endtime; end < pane.endtime + SIZE_MS; end += SLIDE_MS) ctx.timerService().registerEventTimeTimer(end - 1);
  }

  override onTimer(timestamp: number, ctx: OnTimerContext<number>, out: Collector<AuctionCount>): void {
    const end = timestamp + 1;
    const panes = this.panes.value();
    if (panes === undefined) return;
    let num = 0;
    const kept: number[] = [];
    for (let i = 0; i < panes.length; i += 2) {
      const paneEnd = panes[i];
      if (paneEnd > end - SIZE_MS && paneEnd <= end) num += panes[i + 1];
      // The next window ends at end + 2 s and starts at end − 8 s: older panes are done.
      if (paneEnd > end - SIZE_MS + SLIDE_MS) kept.push(paneEnd, panes[i + 1]);
    }
    if (kept.length === 0) this.panes.clear();
    else this.panes.update(kept);
    if (num > 0) out.collect({ auction: ctx.getCurrentKey(), num, endtime: end });
  }
}

class HottestInWindow extends ProcessWindowFunction<AuctionCount, Q5Row, number, TimeWindow> {
  process(_endtime: number, _ctx: ProcessWindowContext<TimeWindow>, counts: readonly AuctionCount[], out: Collector<Q5Row>): void {
    let max = 0;
    for (const c of counts) if (c.num > max) max = c.num;
    for (const c of counts) if (c.num >= max) out.collect({ auction: c.auction, num: c.num });
  }
}

export function q5(events: DataStream<NexmarkEvent>): DataStream<Q5Row> {
  return bids(events)
    // Only the auction id (and the record's timestamp) crosses the shuffle, as Flink's planner projects.
    .map((b) => b.auction)
    .name("auction")
    .keyBy((auction) => auction)
    .window(TumblingEventTimeWindows.of(SLIDE_MS))
    .aggregate(countBids, new PaneCount())
    .name("q5-bids-per-pane")
    .keyBy((pane) => pane.auction)
    .process(new SlidingCountsFromPanes())
    .name("q5-bids-per-window")
    .keyBy((c) => c.endtime)
    .window(TumblingEventTimeWindows.of(SLIDE_MS))
    .process(new HottestInWindow())
    .name("q5-hottest");
}

export default queryJob(q5);
await runIfMain(import.meta.url, "q5", q5);
