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
// Two event-time stages, as Flink's SQL plan has them. Bids per auction in each sliding window
// (the window operator keeps, per auction, a count per open window, and fires each window when event
// time reaches its end); then, keyed by the window's end, the counts of one window (a count carries
// its window's last millisecond as its timestamp, so all counts of a window fall in one 2 s tumbling
// window) and the auctions that reach the maximum.
//
//   npx tsx examples/nexmark/q5.ts --events 1000000

import {
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  type TimeWindow,
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

/** One window's count of an auction, with the window's end. */
class WindowCount extends ProcessWindowFunction<number, AuctionCount, number, TimeWindow> {
  process(auction: number, ctx: ProcessWindowContext<TimeWindow>, counts: readonly number[], out: Collector<AuctionCount>): void {
    out.collect({ auction, num: counts[0], endtime: ctx.window().end });
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
    .window(SlidingEventTimeWindows.of(SIZE_MS, SLIDE_MS))
    .aggregate(countBids, new WindowCount())
    .name("q5-bids-per-window")
    .keyBy((c) => c.endtime)
    .window(TumblingEventTimeWindows.of(SLIDE_MS))
    .process(new HottestInWindow())
    .name("q5-hottest");
}

export default queryJob(q5);
await runIfMain(import.meta.url, "q5", q5);
