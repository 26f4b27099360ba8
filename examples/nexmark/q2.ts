// Nexmark q2, selection: the bids on auctions whose id is a multiple of 123.
//
//   SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
//
//   npx tsx examples/nexmark/q2.ts --events 1000000

import type { DataStream } from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import { queryJob, runIfMain } from "./common.ts";

export interface Q2Row {
  auction: number;
  price: number;
}

export function q2(events: DataStream<NexmarkEvent>): DataStream<Q2Row> {
  return events
    .flatMap<Q2Row>((e, out) => {
      if (e.type === "bid" && e.auction % 123 === 0) out.collect({ auction: e.auction, price: e.price });
    })
    .name("q2-select");
}

export default queryJob(q2);
await runIfMain(import.meta.url, "q2", q2);
