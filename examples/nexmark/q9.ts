// Nexmark q9, winning bids: every auction with its winning bid, the highest bid placed while it
// was open (the earliest of equal bids).
//
//   SELECT id, itemName, …, extra, auction, bidder, price, bid_dateTime, bid_extra
//   FROM (SELECT A.*, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime, B.extra AS bid_extra,
//           ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC) AS rownum
//         FROM auction A, bid B
//         WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires)
//   WHERE rownum <= 1;
//
// Results update: one row each time an auction's winning bid changes; on a bounded input the last
// row per id is final. Where the reference leaves ties of price and time to chance, the bid with
// the lower bidder id (then extra) wins, so the result does not depend on arrival order.
//
//   npx tsx examples/nexmark/q9.ts --events 1000000

import {
  KeyedCoProcessFunction,
  ValueStateDescriptor,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type KeyedRuntimeContext,
  type ValueState,
} from "../../src/index.ts";
import type { Auction, Bid, NexmarkEvent } from "../../src/nexmark/index.ts";
import { auctions, bids, queryJob, runIfMain } from "./common.ts";

export type Q9Row = Omit<Auction, "type"> & {
  auction: number;
  bidder: number;
  price: number;
  bid_dateTime: number;
  bid_extra: string;
};

/** The columns of a bid that q9 reads: only these cross the shuffle, as Flink's planner projects. */
export type WinningBidColumns = Pick<Bid, "auction" | "bidder" | "price" | "dateTime" | "extra">;

/** Whether bid `a` ranks before bid `b`: higher price, then earlier, then the tie-breaks above. */
export function ranksBefore(a: WinningBidColumns, b: WinningBidColumns): boolean {
  if (a.price !== b.price) return a.price > b.price;
  if (a.dateTime !== b.dateTime) return a.dateTime < b.dateTime;
  if (a.bidder !== b.bidder) return a.bidder < b.bidder;
  return a.extra < b.extra;
}

function row(a: Auction, b: WinningBidColumns): Q9Row {
  return {
    id: a.id,
    itemName: a.itemName,
    description: a.description,
    initialBid: a.initialBid,
    reserve: a.reserve,
    dateTime: a.dateTime,
    expires: a.expires,
    seller: a.seller,
    category: a.category,
    extra: a.extra,
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    bid_dateTime: b.dateTime,
    bid_extra: b.extra,
  };
}

/** Keyed by auction id: input 1 the auction, input 2 its bids. */
class WinningBid extends KeyedCoProcessFunction<number, Auction, WinningBidColumns, Q9Row> {
  private auction!: ValueState<Auction>;
  private winner!: ValueState<WinningBidColumns>;
  private early!: ValueState<WinningBidColumns[]>;

  override open(ctx: KeyedRuntimeContext): void {
    this.auction = ctx.getState(new ValueStateDescriptor<Auction>("auction"));
    this.winner = ctx.getState(new ValueStateDescriptor<WinningBidColumns>("winner"));
    this.early = ctx.getState(new ValueStateDescriptor<WinningBidColumns[]>("early-bids"));
  }

  processElement1(a: Auction, _ctx: KeyedProcessContext<number>, out: Collector<Q9Row>): void {
    this.auction.update(a);
    const early = this.early.value();
    if (early === undefined) return;
    this.early.clear();
    let winner: WinningBidColumns | undefined;
    for (const b of early) if (b.dateTime >= a.dateTime && b.dateTime <= a.expires && (winner === undefined || ranksBefore(b, winner))) winner = b;
    if (winner === undefined) return;
    this.winner.update(winner);
    out.collect(row(a, winner));
  }

  processElement2(b: WinningBidColumns, _ctx: KeyedProcessContext<number>, out: Collector<Q9Row>): void {
    const a = this.auction.value();
    if (a === undefined) {
      const early = this.early.value();
      this.early.update(early === undefined ? [b] : [...early, b]);
      return;
    }
    if (b.dateTime < a.dateTime || b.dateTime > a.expires) return;
    const winner = this.winner.value();
    if (winner !== undefined && !ranksBefore(b, winner)) return;
    this.winner.update(b);
    out.collect(row(a, b));
  }
}

export function q9(events: DataStream<NexmarkEvent>): DataStream<Q9Row> {
  const offers = bids(events)
    .map((b): WinningBidColumns => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }))
    .name("bid-columns");
  return auctions(events)
    .connect(offers)
    .keyBy(
      (a) => a.id,
      (b) => b.auction,
    )
    .process(new WinningBid())
    .name("q9-winning-bid");
}

export default queryJob(q9);
await runIfMain(import.meta.url, "q9", q9);
