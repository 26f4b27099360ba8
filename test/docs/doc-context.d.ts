// The names the documentation's excerpts take as given — an environment and a few sample record
// types and streams — so each excerpt is type-checked without repeating its set-up. A global
// script: an example's own imports and declarations shadow these.

type WeirStream<T> = import("weir").DataStream<T>;

declare const env: import("weir").StreamExecutionEnvironment;

interface Bid { auction: number; bidder: number; price: number; time: number }
declare const events: WeirStream<Bid>;
declare const bids: WeirStream<Bid>;
declare const recordedBids: Bid[];
declare const countBids: import("weir").AggregateFunction<Bid, number, number>;

declare const lines: string[];
declare const counts: WeirStream<{ word: string; count: number }>;
declare const pairs: WeirStream<[string, number]>;

interface Click { user: string; page: string; adId: string; time: number }
interface View { user: string; time: number }
interface Impression { adId: string; time: number }
declare const clicks: WeirStream<Click>;
declare const views: WeirStream<View>;
declare const impressions: WeirStream<Impression>;

interface Order { id: string; customer: string; item: string; time: number }
interface Payment { orderId: string; time: number }
interface Customer { customer: string; name: string }
declare const orders: WeirStream<Order>;
declare const payments: WeirStream<Payment>;
declare const customers: WeirStream<Customer>;
interface OrderEvent { kind: "placed" | "paid" | "complete"; order: string }

interface Txn { account: string; category: string; amount: number }
interface Limit { category: string; amount: number }
declare const txns: WeirStream<Txn>;
declare const limits: WeirStream<Limit>;
