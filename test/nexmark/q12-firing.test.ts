// q12's processing-time windows, driven by hand on a simulated clock: a window fires when the
// clock reaches its end, and the windows still open fire once when the input ends (the final +∞
// watermark), which a watermark of ordinary event time never does.

import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import type { Bid, NexmarkEvent } from "../../src/nexmark/index.ts";
import type { WindowOperator } from "../../src/windowing/index.ts";
import { q12 } from "../../examples/nexmark/q12.ts";
import { record, time, watermark, windowHarness } from "../windowing/window-harness.ts";

/** q12's window operator (the last operator the query adds), with its input as the window sees it: bidder ids. */
function q12WindowOperator(): WindowOperator {
  const env = new StreamExecutionEnvironment();
  q12(env.fromElements<NexmarkEvent>());
  const nodes = [...env.graph.nodes.values()];
  return nodes[nodes.length - 1].createOperator!() as WindowOperator;
}

/** What q12 keeps of a bid before its shuffle: the bidder. */
const bidBy = (bidder: Bid["bidder"]): number => bidder;

describe("q12's processing-time windows on a bounded input", () => {
  it("fire at the window's end by the clock, and the open ones once at the end of input", async () => {
    const h = await windowHarness(q12WindowOperator(), 12_000);
    expect(h.values([record(bidBy(1)), record(bidBy(2)), time(15_000), record(bidBy(1)), time(19_998)])).toEqual([]);
    expect(h.values([time(19_999)])).toEqual([
      { bidder: 1, bid_count: 2, starttime: 10_000, endtime: 20_000 },
      { bidder: 2, bid_count: 1, starttime: 10_000, endtime: 20_000 },
    ]);
    // Event time, however far it gets, does not fire a processing-time window.
    expect(h.values([time(25_000), record(bidBy(1)), record(bidBy(3)), record(bidBy(1)), watermark(1_900_000_000_000)])).toEqual([]);
    // The end of input does, once; the window is then gone, and its end on the clock fires nothing.
    expect(h.values([watermark(Infinity)])).toEqual([
      { bidder: 1, bid_count: 2, starttime: 20_000, endtime: 30_000 },
      { bidder: 3, bid_count: 1, starttime: 20_000, endtime: 30_000 },
    ]);
    expect(h.values([time(40_000)])).toEqual([]);
    expect(h.state.size("weir.window-operator.windows")).toBe(0);
  });
});
