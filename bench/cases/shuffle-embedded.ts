// Case (c): the keyed shuffle job of bench/jobs/keyed-shuffle.ts run embedded (in-process bus,
// one process, one thread), parallelism 2, against a hand-written loop doing the same work in
// the same thread: generate, hash the key to one of two channels, batch ~32 KiB frames, msgpackr
// encode and decode them, reduce per key in a Map, count. Interleaved rounds, best of each.
//
//   node --import tsx bench/cases/shuffle-embedded.ts [--records N] [--rounds R]

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { PROTOCOL_VERSION } from "../../src/messages/schema.ts";
import { subtaskForKey } from "../../src/core/key-groups.ts";
import keyedShuffle, { type SinkReport } from "../jobs/keyed-shuffle.ts";
import { addBids, benchPackr, bidderOf, makeBid, recordsPerFrame, type Bid } from "../records.ts";
import { best, caseResult, inMillions, numberOption, recordsPerSecond, scaled } from "../report.ts";

const PARALLELISM = 2;
const MAX_PARALLELISM = 128;

/** The baseline: everything weir's data plane must do for this job, written as one loop. */
function handShuffle(records: number): number {
  const perFrame = recordsPerFrame();
  const batches: Bid[][] = Array.from({ length: PARALLELISM }, () => []);
  const totals = Array.from({ length: PARALLELISM }, () => new Map<number, Bid>());
  const seqs = new Array<number>(PARALLELISM).fill(0);
  let received = 0;
  const ship = (channel: number) => {
    const bytes = benchPackr.pack({ type: "frame", v: PROTOCOL_VERSION, seq: ++seqs[channel], producer: 0, elements: [{ kind: "records", records: batches[channel] }] });
    batches[channel] = [];
    const frame = benchPackr.unpack(bytes) as { elements: { records: Bid[] }[] };
    const state = totals[channel];
    for (const bid of frame.elements[0].records) {
      const key = bidderOf(bid);
      const total = state.get(key);
      state.set(key, total === undefined ? bid : addBids(total, bid));
      received++;
    }
  };
  for (let i = 0; i < records; i++) {
    const bid = makeBid(i);
    const channel = subtaskForKey(bidderOf(bid), PARALLELISM, MAX_PARALLELISM);
    if (batches[channel].push(bid) >= perFrame) ship(channel);
  }
  for (let channel = 0; channel < PARALLELISM; channel++) if (batches[channel].length > 0) ship(channel);
  return received;
}

async function weirShuffle(records: number): Promise<{ ms: number; jobMs: number; received: number }> {
  const reportDir = mkdtempSync(join(tmpdir(), "weir-bench-c-"));
  try {
    const env = new StreamExecutionEnvironment();
    await keyedShuffle(env, ["--count", String(records), "--parallelism", String(PARALLELISM), "--report", reportDir]);
    const started = performance.now();
    const result = await env.execute("bench-shuffle-embedded");
    const ms = performance.now() - started;
    const reports = readdirSync(reportDir).map((file) => JSON.parse(readFileSync(join(reportDir, file), "utf8")) as SinkReport);
    return { ms, jobMs: result.durationMs, received: reports.reduce((sum, r) => sum + r.count, 0) };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const records = scaled(numberOption(args, "records", 3_000_000));
  const rounds = numberOption(args, "rounds", 3);
  const baselineRates: number[] = [];
  const weirRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const handled = handShuffle(records);
    baselineRates.push(recordsPerSecond(records, performance.now() - started));
    if (handled !== records) throw new Error(`the hand loop handled ${handled} of ${records} records`);
    const run = await weirShuffle(records);
    if (run.received !== records) throw new Error(`weir's sinks received ${run.received} of ${records} records`);
    weirRates.push(recordsPerSecond(records, run.ms));
    process.stderr.write(`  round ${round + 1}: hand loop ${inMillions(baselineRates.slice(-1))[0]} M/s, weir ${inMillions(weirRates.slice(-1))[0]} M/s\n`);
  }
  const result = caseResult(
    {
      case: "c-keyby-shuffle-embedded",
      records,
      weir_rps: best(weirRates),
      baseline: "hand-written loop in one thread: generate, key hash, 32 KiB msgpackr frames encode+decode, Map reduce, count",
      baseline_rps: best(baselineRates),
      target: 0.5,
    },
    { parallelism: PARALLELISM, rounds, weir_rounds_mrps: inMillions(weirRates), baseline_rounds_mrps: inMillions(baselineRates) },
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
