// Nexmark q7, highest bid: the bids whose price is the highest of a 10 s tumbling window, for
// every bid placed from that window's start to its end (both included).
//
//   SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
//   FROM bid B
//   JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime
//         FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//         GROUP BY window_start, window_end) B1
//   ON B.price = B1.maxprice
//   WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime;
//
// The reference inserts `B.auction, B.price, B.bidder, …` by position into a table whose columns
// are `auction, bidder, price, …`, so its bidder column holds the price and its price column the
// bidder. Here each column holds what its name says.
//
// A window's maximum carries the window's last millisecond (end − 1) as its timestamp; an interval
// join keyed by price then pairs it with the bids in [end − 10 s, end]: between(−9,999, +1).
//
//   npx tsx examples/nexmark/q7.ts --events 1000000

import {
  ProcessAllWindowFunction,
  ProcessJoinFunction,
  TumblingEventTimeWindows,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessAllWindowContext,
  type ProcessJoinContext,
  type TimeWindow,
} from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import { bids, queryJob, runIfMain } from "./common.ts";

export interface Q7Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

interface WindowMax {
  maxprice: number;
  /** The window's end (the reference's B1.dateTime). */
  dateTime: number;
}

const SIZE_MS = 10_000;

const maxPrice: AggregateFunction<number, number, number> = {
  createAccumulator: () => -Infinity,
  add: (price, max) => Math.max(price, max),
  getResult: (max) => max,
  merge: (a, b) => Math.max(a, b),
};

class WindowEnd extends ProcessAllWindowFunction<number, WindowMax, TimeWindow> {
  process(ctx: ProcessAllWindowContext<TimeWindow>, maxima: readonly number[], out: Collector<WindowMax>): void {
    out.collect({ maxprice: maxima[0], dateTime: ctx.window().end });
  }
}

class HighestBid extends ProcessJoinFunction<WindowMax, Q7Row, Q7Row> {
  processElement(_max: WindowMax, bid: Q7Row, _ctx: ProcessJoinContext, out: Collector<Q7Row>): void {
    out.collect(bid);
  }
}

export function q7(events: DataStream<NexmarkEvent>): DataStream<Q7Row> {
  const all = bids(events);
  // Only the columns each side reads cross the shuffles, as Flink's planner projects.
  const maxima = all
    .map((b) => b.price)
    .name("price")
    .windowAll(TumblingEventTimeWindows.of(SIZE_MS))
    .aggregate(maxPrice, new WindowEnd())
    .name("q7-max-price");
  const rows = all.map((b): Q7Row => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra })).name("q7-project");
  return maxima
    .keyBy((m) => m.maxprice)
    .intervalJoin(rows.keyBy((b) => b.price))
    .between(-(SIZE_MS - 1), 1)
    .process(new HighestBid())
    .name("q7-highest-bids");
}

export default queryJob(q7);
await runIfMain(import.meta.url, "q7", q7);
