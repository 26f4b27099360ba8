// Nexmark q3, local item suggestion: who is selling in category 10 in Oregon, Idaho or California.
// An incremental inner join of auctions with their sellers, keyed by the person id.
//
//   SELECT P.name, P.city, P.state, A.id
//   FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
//   WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
//
// Both sides only insert, so every matching pair is one result row, written once. A person
// arrives once; an auction seen before its seller waits in keyed state until the seller arrives.
//
//   npx tsx examples/nexmark/q3.ts --events 1000000

import {
  KeyedCoProcessFunction,
  ValueStateDescriptor,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type KeyedRuntimeContext,
  type ValueState,
} from "../../src/index.ts";
import type { Auction, NexmarkEvent } from "../../src/nexmark/index.ts";
import { auctions, persons, queryJob, runIfMain } from "./common.ts";

export interface Q3Row {
  name: string;
  city: string;
  state: string;
  id: number;
}

interface Seller {
  name: string;
  city: string;
  state: string;
}

const STATES = new Set(["OR", "ID", "CA"]);

type SoldItem = Pick<Auction, "id" | "seller">;

/** Keyed by person id: input 1 the auctions they sell, input 2 the persons. */
class JoinSellers extends KeyedCoProcessFunction<number, SoldItem, Seller & { id: number }, Q3Row> {
  private seller!: ValueState<Seller>;
  private waiting!: ValueState<number[]>;

  override open(ctx: KeyedRuntimeContext): void {
    this.seller = ctx.getState(new ValueStateDescriptor<Seller>("seller"));
    this.waiting = ctx.getState(new ValueStateDescriptor<number[]>("waiting-auctions"));
  }

  processElement1(auction: SoldItem, _ctx: KeyedProcessContext<number>, out: Collector<Q3Row>): void {
    const seller = this.seller.value();
    if (seller !== undefined) {
      out.collect({ name: seller.name, city: seller.city, state: seller.state, id: auction.id });
      return;
    }
    const waiting = this.waiting.value();
    this.waiting.update(waiting === undefined ? [auction.id] : [...waiting, auction.id]);
  }

  processElement2(person: Seller & { id: number }, _ctx: KeyedProcessContext<number>, out: Collector<Q3Row>): void {
    const seller: Seller = { name: person.name, city: person.city, state: person.state };
    this.seller.update(seller);
    const waiting = this.waiting.value();
    if (waiting === undefined) return;
    for (const id of waiting) out.collect({ name: seller.name, city: seller.city, state: seller.state, id });
    this.waiting.clear();
  }
}

export function q3(events: DataStream<NexmarkEvent>): DataStream<Q3Row> {
  const sold = auctions(events)
    .flatMap<SoldItem>((a, out) => {
      if (a.category === 10) out.collect({ id: a.id, seller: a.seller });
    })
    .name("category-10");
  const sellers = persons(events)
    .flatMap<Seller & { id: number }>((p, out) => {
      if (STATES.has(p.state)) out.collect({ id: p.id, name: p.name, city: p.city, state: p.state });
    })
    .name("or-id-ca");
  return sold
    .connect(sellers)
    .keyBy(
      (a) => a.seller,
      (p) => p.id,
    )
    .process(new JoinSellers())
    .name("q3-join");
}

export default queryJob(q3);
await runIfMain(import.meta.url, "q3", q3);
