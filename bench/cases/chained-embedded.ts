// Case (a): a chained stateless pipeline, embedded, parallelism 1:
//   fromGenerator(bids) → map(convert) → filter(expensive) → counting sink
// against a hand-written loop doing the same generate/map/filter/count work. Both run in this
// process, interleaved round by round; the best round of each is reported. Beside the wall-clock
// rates it reports the CPU time per record of both sides (process.cpuUsage, best round), which a
// shared machine disturbs less than wall time.
//
//   node --import tsx bench/cases/chained-embedded.ts [--records N] [--rounds R]

import { StreamExecutionEnvironment } from "../../src/index.ts";
import { convertBid, isExpensive, makeBid, type Bid } from "../records.ts";
import { best, caseResult, inMillions, numberOption, recordsPerSecond, scaled } from "../report.ts";

/** The baseline: the same user functions, called from a plain loop. */
function handLoop(records: number): number {
  let kept = 0;
  for (let i = 0; i < records; i++) {
    const bid = convertBid(makeBid(i));
    if (isExpensive(bid)) kept++;
  }
  return kept;
}

/**
 * Context, not the baseline: the same loop, but every record is also stored into a small ring,
 * so V8 cannot optimize the record objects away (it does in handLoop) — the allocation cost
 * that any pipeline passing records between operators pays.
 */
const ring: Bid[] = new Array<Bid>(1024);
function materializingHandLoop(records: number): number {
  let kept = 0;
  for (let i = 0; i < records; i++) {
    const generated = makeBid(i);
    ring[i & 1023] = generated;
    const bid = convertBid(generated);
    ring[(i + 512) & 1023] = bid;
    if (isExpensive(bid)) kept++;
  }
  return kept;
}

/** CPU time (user + system, all threads) since `since`, per record, in ns. */
function cpuNsPerRecord(since: NodeJS.CpuUsage, records: number): number {
  const used = process.cpuUsage(since);
  return Math.round(((used.user + used.system) * 1000 * 10) / records) / 10;
}

async function weirPipeline(records: number): Promise<{ kept: number; ms: number }> {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  let kept = 0;
  env
    .fromGenerator(makeBid, { count: records })
    .map(convertBid)
    .filter(isExpensive)
    .addSink(() => {
      kept++;
    });
  const started = performance.now();
  await env.execute("bench-chained");
  return { kept, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const records = scaled(numberOption(args, "records", 5_000_000));
  const rounds = numberOption(args, "rounds", 5);
  const baselineRates: number[] = [];
  const materializingRates: number[] = [];
  const weirRates: number[] = [];
  const handCpu: number[] = [];
  const weirCpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let started = performance.now();
    let cpu = process.cpuUsage();
    const expected = handLoop(records);
    baselineRates.push(recordsPerSecond(records, performance.now() - started));
    handCpu.push(cpuNsPerRecord(cpu, records));
    started = performance.now();
    if (materializingHandLoop(records) !== expected) throw new Error("the two hand loops disagree");
    materializingRates.push(recordsPerSecond(records, performance.now() - started));
    cpu = process.cpuUsage();
    const run = await weirPipeline(records);
    weirCpu.push(cpuNsPerRecord(cpu, records));
    if (run.kept !== expected) throw new Error(`weir kept ${run.kept} records, the hand loop ${expected}`);
    weirRates.push(recordsPerSecond(records, run.ms));
    const [hand, materializing, weir] = inMillions([baselineRates[round], materializingRates[round], weirRates[round]]);
    process.stderr.write(`  round ${round + 1}: hand loop ${hand} M/s, materializing hand loop ${materializing} M/s, weir ${weir} M/s\n`);
  }
  const result = caseResult(
    {
      case: "a-chained-stateless-embedded",
      records,
      weir_rps: best(weirRates),
      baseline: "hand-written loop: generate, map, filter, count (same functions)",
      baseline_rps: best(baselineRates),
      target: 0.25,
    },
    {
      rounds,
      weir_rounds_mrps: inMillions(weirRates),
      baseline_rounds_mrps: inMillions(baselineRates),
      materializing_loop_rps: Math.round(best(materializingRates)),
      ratio_to_materializing_loop: Math.round((best(weirRates) / best(materializingRates)) * 1000) / 1000,
      hand_loop_cpu_ns_per_record: Math.min(...handCpu),
      weir_cpu_ns_per_record: Math.min(...weirCpu),
      cpu_ratio: Math.round((Math.min(...handCpu) / Math.min(...weirCpu)) * 1000) / 1000,
    },
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
