// Nexmark q0, pass-through: every bid, projected to the columns of the reference's result table.
// Measures the cost of reading and writing events with no work in between.
//
//   SELECT auction, bidder, price, dateTime, extra FROM bid;
//
//   npx tsx examples/nexmark/q0.ts --events 1000000
//   npx weir run examples/nexmark/q0.ts -- --events 1000000 --output /tmp/q0.ndjson

import type { DataStream } from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import { bids, queryJob, runIfMain } from "./common.ts";

export interface Q0Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

export function q0(events: DataStream<NexmarkEvent>): DataStream<Q0Row> {
  return bids(events)
    .map((b): Q0Row => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }))
    .name("q0-project");
}

export default queryJob(q0);
await runIfMain(import.meta.url, "q0", q0);
