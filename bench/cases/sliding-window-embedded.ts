// Case (d): a sliding event-time window count over 10,000 keys, embedded, parallelism 1:
//   fromGenerator(bids) → timestamps/watermarks → keyBy(bidder) → window(sliding 4 s every 1 s)
//   → aggregate(count) → counting sink
// against a hand-written loop computing the same windows (per window start, a Map of counts per
// bidder, fired as event time passes each window's end). Event time is 100 bids per ms, so a
// window holds 400,000 bids, about 40 per bidder. Both sides must produce the same number of
// window results and the same total count (4 per bid). Interleaved rounds, best of each.
//
//   node --import tsx bench/cases/sliding-window-embedded.ts [--records N] [--rounds R]

import { SlidingEventTimeWindows, StreamExecutionEnvironment, WatermarkStrategy, type AggregateFunction } from "../../src/index.ts";
import { bidderOf, makeBid, type Bid } from "../records.ts";
import { best, caseResult, inMillions, numberOption, recordsPerSecond, scaled } from "../report.ts";

const SIZE = 4_000;
const SLIDE = 1_000;
/** Event time of a bid: 100 bids per millisecond. */
const eventTime = (bid: Bid): number => Math.floor(bid.id / 100);

interface Totals {
  /** Window results: one per (bidder, window) with at least one bid. */
  results: number;
  /** Sum of all window counts: each bid is counted in SIZE / SLIDE windows. */
  counted: number;
}

/** The baseline: the same windows in a plain loop; window starts are multiples of SLIDE, open in time order. */
function handSlidingCount(records: number): Totals {
  const open = new Map<number, Map<number, number>>();
  let firstOpen = Infinity;
  let results = 0;
  let counted = 0;
  const fireUpTo = (watermark: number) => {
    // A window [start, start + SIZE) fires once the watermark reaches its last timestamp.
    while (firstOpen !== Infinity && firstOpen + SIZE - 1 <= watermark) {
      const counts = open.get(firstOpen);
      if (counts) {
        for (const n of counts.values()) {
          results++;
          counted += n;
        }
        open.delete(firstOpen);
      }
      firstOpen = open.size === 0 ? Infinity : firstOpen + SLIDE;
    }
  };
  let watermark = -Infinity;
  for (let i = 0; i < records; i++) {
    const bid = makeBid(i);
    const ts = eventTime(bid);
    // Timestamps only grow: the watermark trails the latest by 1 ms (Flink's monotonous strategy).
    if (ts - 1 > watermark) {
      watermark = ts - 1;
      fireUpTo(watermark);
    }
    const key = bidderOf(bid);
    for (let start = ts - (ts % SLIDE); start > ts - SIZE; start -= SLIDE) {
      let counts = open.get(start);
      if (!counts) {
        counts = new Map();
        open.set(start, counts);
        if (start < firstOpen) firstOpen = start;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  fireUpTo(Infinity);
  return { results, counted };
}

const count: AggregateFunction<Bid, number, number> = { createAccumulator: () => 0, add: (_bid, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };

async function weirSlidingCount(records: number): Promise<Totals & { ms: number }> {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  const totals: Totals = { results: 0, counted: 0 };
  env
    .fromGenerator(makeBid, { count: records })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Bid>().withTimestampAssigner(eventTime))
    .keyBy(bidderOf)
    .window(SlidingEventTimeWindows.of(SIZE, SLIDE))
    .aggregate(count)
    .addSink((n) => {
      totals.results++;
      totals.counted += n;
    });
  const started = performance.now();
  await env.execute("bench-sliding-window");
  return { ...totals, ms: performance.now() - started };
}

/** Context, not the baseline: the same job without the window (generator, timestamps, keyBy, counting sink). */
async function weirKeyByOnly(records: number): Promise<number> {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  let received = 0;
  env
    .fromGenerator(makeBid, { count: records })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Bid>().withTimestampAssigner(eventTime))
    .keyBy(bidderOf)
    .addSink(() => {
      received++;
    });
  const started = performance.now();
  await env.execute("bench-keyby-only");
  if (received !== records) throw new Error(`the keyBy-only job received ${received} of ${records} records`);
  return recordsPerSecond(records, performance.now() - started);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const records = scaled(numberOption(args, "records", 2_000_000));
  const rounds = numberOption(args, "rounds", 3);
  const baselineRates: number[] = [];
  const weirRates: number[] = [];
  const keyByOnlyRates: number[] = [];
  let results = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const expected = handSlidingCount(records);
    baselineRates.push(recordsPerSecond(records, performance.now() - started));
    if (expected.counted !== records * (SIZE / SLIDE)) throw new Error(`the hand loop counted ${expected.counted}, not ${records * (SIZE / SLIDE)}`);
    const run = await weirSlidingCount(records);
    if (run.results !== expected.results || run.counted !== expected.counted) {
      throw new Error(`weir gave ${run.results} results counting ${run.counted}; the hand loop ${expected.results} counting ${expected.counted}`);
    }
    results = run.results;
    weirRates.push(recordsPerSecond(records, run.ms));
    keyByOnlyRates.push(await weirKeyByOnly(records));
    const [hand, weir, keyByOnly] = inMillions([baselineRates[round], weirRates[round], keyByOnlyRates[round]]);
    process.stderr.write(`  round ${round + 1}: hand loop ${hand} M/s, weir ${weir} M/s (${run.results} window results), weir without the window ${keyByOnly} M/s\n`);
  }
  const result = caseResult(
    {
      case: "d-sliding-window-count-embedded",
      records,
      weir_rps: best(weirRates),
      baseline: "hand-written loop: same bids, same sliding windows (Map of counts per window start), same results",
      baseline_rps: best(baselineRates),
      target: 0.2,
    },
    {
      rounds,
      keys: 10_000,
      window: "sliding 4 s every 1 s",
      window_results: results,
      weir_rounds_mrps: inMillions(weirRates),
      baseline_rounds_mrps: inMillions(baselineRates),
      keyby_only_rps: Math.round(best(keyByOnlyRates)),
      keyby_only_rounds_mrps: inMillions(keyByOnlyRates),
    },
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
