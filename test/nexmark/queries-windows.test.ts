// Nexmark q5, q11 and q12 (the windowed aggregations) against brute-force computations over the
// same generated events: plain loops and maps, no weir code.

import { describe, expect, it } from "vitest";
import { q5 } from "../../examples/nexmark/q5.ts";
import { q11 } from "../../examples/nexmark/q11.ts";
import { q12 } from "../../examples/nexmark/q12.ts";
import { bidsOf, inputEvents, runQuery, sorted } from "./query-harness.ts";

const bids = bidsOf(inputEvents());

describe("Nexmark windowed aggregations equal a brute-force computation", () => {
  it("q5: per sliding window of 10 s every 2 s, the auctions with the most bids", async () => {
    // window start -> auction -> bids; a bid at t is in the windows starting in (t - 10 s, t] on the 2 s grid.
    const counts = new Map<number, Map<number, number>>();
    for (const b of bids) {
      for (let start = b.dateTime - (b.dateTime % 2_000); start > b.dateTime - 10_000; start -= 2_000) {
        const perAuction = counts.get(start) ?? new Map<number, number>();
        perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
        counts.set(start, perAuction);
      }
    }
    const expected = [];
    for (const perAuction of counts.values()) {
      const max = Math.max(...perAuction.values());
      for (const [auction, num] of perAuction) if (num >= max) expected.push({ auction, num });
    }
    expect(counts.size).toBe(24);
    expect(sorted(await runQuery(q5))).toEqual(sorted(expected));
  });

  it("q11: per bidder, sessions closed by 10 s without a bid: count, first bid, last bid + 10 s", async () => {
    const times = new Map<number, number[]>();
    for (const b of bids) times.set(b.bidder, [...(times.get(b.bidder) ?? []), b.dateTime]);
    const expected = [];
    for (const [bidder, ts] of times) {
      ts.sort((x, y) => x - y);
      let first = ts[0];
      let last = ts[0];
      let count = 1;
      for (const t of ts.slice(1)) {
        if (t > last + 10_000) {
          expected.push({ bidder, bid_count: count, starttime: first, endtime: last + 10_000 });
          first = t;
          count = 0;
        }
        last = t;
        count += 1;
      }
      expected.push({ bidder, bid_count: count, starttime: first, endtime: last + 10_000 });
    }
    expect(expected.length).toBeGreaterThan(times.size);
    expect(sorted(await runQuery(q11))).toEqual(sorted(expected));
  });

  it("q12: on a bounded input every bid is counted once, in aligned 10 s processing-time windows that all fire at the end", async () => {
    const perBidder = new Map<number, number>();
    for (const b of bids) perBidder.set(b.bidder, (perBidder.get(b.bidder) ?? 0) + 1);
    const rows = await runQuery(q12);
    const counted = new Map<number, number>();
    const windows = new Set<string>();
    for (const row of rows) {
      expect(row.endtime - row.starttime).toBe(10_000);
      expect(row.starttime % 10_000).toBe(0);
      windows.add(`${row.bidder}@${row.starttime}`);
      counted.set(row.bidder, (counted.get(row.bidder) ?? 0) + row.bid_count);
    }
    // One row per bidder and window, and together they count every bid of every bidder.
    expect(windows.size).toBe(rows.length);
    expect(counted).toEqual(perBidder);
  });
});
