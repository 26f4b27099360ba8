// Nexmark q1, currency conversion: every bid with its price in euros (dollars × 0.908).
//
//   SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid;
//
// The reference's price is DECIMAL(23, 3); here it is the number nearest that decimal
// (price × 908 / 1000: the product is an exact integer, so the one rounding is the division's).
//
//   npx tsx examples/nexmark/q1.ts --events 1000000

import type { DataStream } from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import { bids, queryJob, runIfMain } from "./common.ts";

export interface Q1Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

export function q1(events: DataStream<NexmarkEvent>): DataStream<Q1Row> {
  return bids(events)
    .map((b): Q1Row => ({ auction: b.auction, bidder: b.bidder, price: (b.price * 908) / 1000, dateTime: b.dateTime, extra: b.extra }))
    .name("q1-to-euro");
}

export default queryJob(q1);
await runIfMain(import.meta.url, "q1", q1);
