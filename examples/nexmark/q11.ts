// Nexmark q11, user sessions: how many bids each bidder places in each session of activity, a
// session ending after 10 s without a bid from that bidder.
//
//   SELECT B.bidder, count(*) AS bid_count,
//          SESSION_START(B.dateTime, INTERVAL '10' SECOND) AS starttime,
//          SESSION_END(B.dateTime, INTERVAL '10' SECOND) AS endtime
//   FROM bid B
//   GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND);
//
// starttime is the session's first bid, endtime its last bid + 10 s, as in Flink.
//
//   npx tsx examples/nexmark/q11.ts --events 1000000

import {
  EventTimeSessionWindows,
  ProcessWindowFunction,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  type TimeWindow,
} from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import { bids, queryJob, runIfMain } from "./common.ts";

export interface Q11Row {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

const GAP_MS = 10_000;

const countBids: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (_bid, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

class SessionRow extends ProcessWindowFunction<number, Q11Row, number, TimeWindow> {
  process(bidder: number, ctx: ProcessWindowContext<TimeWindow>, counts: readonly number[], out: Collector<Q11Row>): void {
    const { start, end } = ctx.window();
    out.collect({ bidder, bid_count: counts[0], starttime: start, endtime: end });
  }
}

export function q11(events: DataStream<NexmarkEvent>): DataStream<Q11Row> {
  return bids(events)
    // Only the bidder (and the record's timestamp) crosses the shuffle, as Flink's planner projects.
    .map((b) => b.bidder)
    .name("bidder")
    .keyBy((bidder) => bidder)
    .window(EventTimeSessionWindows.withGap(GAP_MS))
    .aggregate(countBids, new SessionRow())
    .name("q11-sessions");
}

export default queryJob(q11);
await runIfMain(import.meta.url, "q11", q11);
