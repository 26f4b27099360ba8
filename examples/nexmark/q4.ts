// Nexmark q4, average price per category: the average of the winning bids (the highest bid placed
// while the auction was open) of the auctions in each category.
//
//   SELECT Q.category, AVG(Q.final)
//   FROM (SELECT MAX(B.price) AS final, A.category
//         FROM auction A, bid B
//         WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
//         GROUP BY A.id, A.category) Q
//   GROUP BY Q.category;
//
// Result columns as the reference's table: `id` (the category) and `final` (the average). The
// average of BIGINTs is a BIGINT in Flink SQL, so it is truncated to an integer. Results update:
// one row per change of a category's average; on a bounded input the last row per id is final.
// Two keyed stages: per auction, its maximum bid (bids that come before their auction wait in
// state); per category, the sum and count of those maxima, retracting an auction's old maximum.
//
//   npx tsx examples/nexmark/q4.ts --events 1000000

import {
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  ValueStateDescriptor,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type KeyedRuntimeContext,
  type ValueState,
} from "../../src/index.ts";
import type { Auction, Bid, NexmarkEvent } from "../../src/nexmark/index.ts";
import { auctions, bids, queryJob, runIfMain } from "./common.ts";

export interface Q4Row {
  id: number;
  final: number;
}

/** An auction's maximum bid changed from `previous` (undefined: its first matching bid) to `final`. */
export interface MaxBidChange {
  category: number;
  previous: number | undefined;
  final: number;
}

interface OpenAuction {
  category: number;
  dateTime: number;
  expires: number;
  /** The highest price of a bid in [dateTime, expires]; undefined before the first. */
  max: number | undefined;
}

/** The columns of an auction and of a bid that q4 reads: only these cross the shuffle, as Flink's planner projects. */
export type AuctionTerms = Pick<Auction, "id" | "category" | "dateTime" | "expires">;
export type BidOffer = Pick<Bid, "auction" | "price" | "dateTime">;

/** Bids that arrived before their auction: [dateTime, price] pairs. */
type EarlyBids = number[];

/** Keyed by auction id: input 1 the auction, input 2 its bids. */
export class MaxBidPerAuction extends KeyedCoProcessFunction<number, AuctionTerms, BidOffer, MaxBidChange> {
  private auction!: ValueState<OpenAuction>;
  private early!: ValueState<EarlyBids>;

  override open(ctx: KeyedRuntimeContext): void {
    this.auction = ctx.getState(new ValueStateDescriptor<OpenAuction>("auction"));
    this.early = ctx.getState(new ValueStateDescriptor<EarlyBids>("early-bids"));
  }

  processElement1(a: AuctionTerms, _ctx: KeyedProcessContext<number>, out: Collector<MaxBidChange>): void {
    const open: OpenAuction = { category: a.category, dateTime: a.dateTime, expires: a.expires, max: undefined };
    const early = this.early.value();
    if (early !== undefined) {
      for (let i = 0; i < early.length; i += 2) {
        const dateTime = early[i];
        const price = early[i + 1];
        if (dateTime >= open.dateTime && dateTime <= open.expires && (open.max === undefined || price > open.max)) open.max = price;
      }
      this.early.clear();
      if (open.max !== undefined) out.collect({ category: open.category, previous: undefined, final: open.max });
    }
    this.auction.update(open);
  }

  processElement2(b: BidOffer, _ctx: KeyedProcessContext<number>, out: Collector<MaxBidChange>): void {
    const open = this.auction.value();
    if (open === undefined) {
      const early = this.early.value();
      if (early === undefined) this.early.update([b.dateTime, b.price]);
      else {
        early.push(b.dateTime, b.price);
        this.early.update(early);
      }
      return;
    }
    if (b.dateTime < open.dateTime || b.dateTime > open.expires) return;
    if (open.max !== undefined && b.price <= open.max) return;
    const previous = open.max;
    this.auction.update({ ...open, max: b.price });
    out.collect({ category: open.category, previous, final: b.price });
  }
}

/** Keyed by category: the running average of its auctions' maxima. */
export class AveragePerCategory extends KeyedProcessFunction<number, MaxBidChange, Q4Row> {
  private totals!: ValueState<[sum: number, count: number]>;

  override open(ctx: KeyedRuntimeContext): void {
    this.totals = ctx.getState(new ValueStateDescriptor<[number, number]>("sum-count"));
  }

  processElement(change: MaxBidChange, _ctx: KeyedProcessContext<number>, out: Collector<Q4Row>): void {
    const [sum, count] = this.totals.value() ?? [0, 0];
    const next: [number, number] = change.previous === undefined ? [sum + change.final, count + 1] : [sum - change.previous + change.final, count];
    this.totals.update(next);
    out.collect({ id: change.category, final: Math.trunc(next[0] / next[1]) });
  }
}

export function q4(events: DataStream<NexmarkEvent>): DataStream<Q4Row> {
  const terms = auctions(events)
    .map((a): AuctionTerms => ({ id: a.id, category: a.category, dateTime: a.dateTime, expires: a.expires }))
    .name("auction-terms");
  const offers = bids(events)
    .map((b): BidOffer => ({ auction: b.auction, price: b.price, dateTime: b.dateTime }))
    .name("bid-offers");
  return terms
    .connect(offers)
    .keyBy(
      (a) => a.id,
      (b) => b.auction,
    )
    .process(new MaxBidPerAuction())
    .name("q4-max-bid")
    .keyBy((change) => change.category)
    .process(new AveragePerCategory())
    .name("q4-average");
}

export default queryJob(q4);
await runIfMain(import.meta.url, "q4", q4);
