// Nexmark q4, q7, q8 and q9 (the joins) against brute-force computations over the same generated
// events: nested loops over the event array, no weir code. Updating queries (q4, q9) are compared
// by their last row per key.

import { describe, expect, it } from "vitest";
import type { Bid } from "../../src/nexmark/index.ts";
import { q4 } from "../../examples/nexmark/q4.ts";
import { q7 } from "../../examples/nexmark/q7.ts";
import { q8 } from "../../examples/nexmark/q8.ts";
import { q9 } from "../../examples/nexmark/q9.ts";
import { auctionsOf, bidsOf, inputEvents, lastPerKey, personsOf, runQuery, sorted } from "./query-harness.ts";

const events = inputEvents();
const bids = bidsOf(events);
const auctions = auctionsOf(events);
const persons = personsOf(events);

/** Each auction's bids placed while it was open (dateTime between the auction's dateTime and expires, inclusive). */
function openBids(): Map<number, Bid[]> {
  const byAuction = new Map<number, Bid[]>();
  for (const a of auctions) {
    const placed: Bid[] = [];
    for (const b of bids) if (b.auction === a.id && b.dateTime >= a.dateTime && b.dateTime <= a.expires) placed.push(b);
    byAuction.set(a.id, placed);
  }
  return byAuction;
}

describe("Nexmark joins equal a brute-force computation", () => {
  const placed = openBids();

  it("q4: the last row per category is the truncated average of its auctions' highest open bids", async () => {
    const finals = new Map<number, number[]>();
    for (const a of auctions) {
      const prices = placed.get(a.id)!.map((b) => b.price);
      if (prices.length === 0) continue;
      finals.set(a.category, [...(finals.get(a.category) ?? []), Math.max(...prices)]);
    }
    const expected = new Map<number, { id: number; final: number }>();
    for (const [category, maxima] of finals) {
      const sum = maxima.reduce((s, m) => s + m, 0);
      expected.set(category, { id: category, final: Math.floor(sum / maxima.length) });
    }
    expect(expected.size).toBe(5);
    const rows = await runQuery(q4);
    expect(lastPerKey(rows, (r) => r.id)).toEqual(expected);
  });

  it("q9: the last row per auction is the auction with its highest, then earliest, open bid", async () => {
    const expected = new Map<number, object>();
    for (const a of auctions) {
      const ranked = [...placed.get(a.id)!].sort(
        (x, y) => y.price - x.price || x.dateTime - y.dateTime || x.bidder - y.bidder || (x.extra < y.extra ? -1 : x.extra > y.extra ? 1 : 0),
      );
      if (ranked.length === 0) continue;
      const b = ranked[0];
      const { type: _type, ...auction } = a;
      expected.set(a.id, { ...auction, auction: b.auction, bidder: b.bidder, price: b.price, bid_dateTime: b.dateTime, bid_extra: b.extra });
    }
    expect(expected.size).toBeGreaterThan(500);
    const rows = await runQuery(q9);
    expect(lastPerKey(rows, (r) => r.id)).toEqual(expected);
  });

  it("q7: the bids at the highest price of a 10 s window, placed from its start to its end inclusive", async () => {
    const maxima = new Map<number, number>();
    for (const b of bids) {
      const start = b.dateTime - (b.dateTime % 10_000);
      maxima.set(start, Math.max(maxima.get(start) ?? -Infinity, b.price));
    }
    const expected = [];
    for (const [start, max] of maxima) {
      for (const b of bids) {
        if (b.price === max && b.dateTime >= start && b.dateTime <= start + 10_000) expected.push({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
      }
    }
    expect(maxima.size).toBe(4);
    expect(sorted(await runQuery(q7))).toEqual(sorted(expected));
  });

  it("q8: persons who opened an auction in the 10 s window they registered in, with the window's start", async () => {
    const expected = [];
    for (const p of persons) {
      const stime = p.dateTime - (p.dateTime % 10_000);
      if (auctions.some((a) => a.seller === p.id && a.dateTime >= stime && a.dateTime < stime + 10_000)) expected.push({ id: p.id, name: p.name, stime });
    }
    expect(expected.length).toBeGreaterThan(50);
    expect(sorted(await runQuery(q8))).toEqual(sorted(expected));
  });
});
