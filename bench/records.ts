// The records every benchmark case pushes through, and the per-record functions shared by weir's
// jobs and the hand-written baselines, so both sides do exactly the same user work.
// A record is a small Nexmark-like bid: {id, price, bidder}, about 25 bytes of msgpack.

import { Packr } from "msgpackr";
import { DEFAULT_FRAME_BYTES } from "../src/runtime/channel-writer.ts";
import { PROTOCOL_VERSION } from "../src/messages/schema.ts";

export interface Bid {
  id: number;
  price: number;
  bidder: number;
}

/** Distinct bidders: the key space of the keyed cases. */
export const BIDDERS = 10_000;

/**
 * The generator: record `i`, deterministic, with a non-integer price in [0, 655.35]. Integer
 * arithmetic only (Math.imul, &), so its cost does not depend on how large `i` gets.
 */
export function makeBid(i: number): Bid {
  return { id: i, price: (Math.imul(i, 7919) & 0xffff) / 100, bidder: i % BIDDERS };
}

/** The map step of case (a): a price conversion into a new record. */
export function convertBid(bid: Bid): Bid {
  return { id: bid.id, price: bid.price * 1.1, bidder: bid.bidder };
}

/** The filter step of case (a): keeps about 83% of the records. */
export function isExpensive(bid: Bid): boolean {
  return bid.price > 100;
}

/** The keyed reduce of cases (b) and (c): per bidder, the running total price and last id. */
export function addBids(total: Bid, bid: Bid): Bid {
  return { id: bid.id, price: total.price + bid.price, bidder: total.bidder };
}

export function bidderOf(bid: Bid): number {
  return bid.bidder;
}

/** The same msgpackr settings as weir's codec (src/messages/codec.ts). */
export const benchPackr = new Packr({ useRecords: false, moreTypes: false });

/** Records per frame so that a frame of bids is close to weir's 32 KiB frame target. */
export function recordsPerFrame(targetBytes = DEFAULT_FRAME_BYTES): number {
  const sample = Array.from({ length: 512 }, (_, i) => makeBid(1_000_000 + i * 7));
  const bytes = benchPackr.pack({ type: "frame", v: PROTOCOL_VERSION, seq: 1, producer: 0, elements: [{ kind: "records", records: sample }] }).length;
  return Math.max(1, Math.floor(targetBytes / (bytes / sample.length)));
}
