// Case nexmark, part 1: every Nexmark query embedded at parallelism 1 on the generator (one core, so
// events/s is per core), results discarded, each in a fresh process (bench/nexmark/query-rate.ts).
// The baseline is the generator alone, generate and discard, measured in the same run before and
// after the queries: as a plain loop, and as a weir job (source → discard sink), the ceiling for
// any query. One JSON line per query, then one for the generator; Flink 2.0's per-core figure
// beside each query (`flink_rps_per_core`, `vs_flink`).
// Part 2 (unless --embedded-only): every query over NATS with two worker processes, parallelism 2,
// beside the generator job on the same cluster (bench/nexmark/nats-runs.ts); one round each.
//
//   node --import tsx bench/cases/nexmark.ts [--rounds R] [--only q5,q7] [--embedded-only]

import { join } from "node:path";
import { BENCH_DIR, caseResult, lastJsonLine, numberOption, runTsScript, scaled } from "../report.ts";
import { measureOverNats } from "../nexmark/nats-runs.ts";
import { QUERIES } from "../nexmark/queries.ts";

const RATE_SCRIPT = join(BENCH_DIR, "nexmark", "query-rate.ts");

interface GeneratorRate {
  events: number;
  loop_rps: number;
  job_rps: number;
}

interface QueryRate {
  query: string;
  events: number;
  rps: number;
  rounds: number[];
}

async function measure<T>(query: string, events: number, rounds: number): Promise<T> {
  const stdout = await runTsScript(RATE_SCRIPT, ["--query", query, "--events", String(events), "--rounds", String(rounds)], { timeoutMs: 600_000, echoStderr: true });
  return lastJsonLine<T>(stdout);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rounds = numberOption(args, "rounds", 2);
  const onlyIndex = args.indexOf("--only");
  const only = onlyIndex < 0 ? undefined : args[onlyIndex + 1].split(",");
  const generatorEvents = scaled(2_000_000);
  const before = await measure<GeneratorRate>("generator", generatorEvents, rounds);
  process.stderr.write(`  generator before: loop ${before.loop_rps}/s, weir source → discard ${before.job_rps}/s\n`);
  const rates: QueryRate[] = [];
  for (const q of QUERIES) {
    if (only !== undefined && !only.includes(q.name)) continue;
    const rate = await measure<QueryRate>(q.name, scaled(q.events), rounds);
    process.stderr.write(`  ${q.name}: ${rate.rps} events/s (rounds ${rate.rounds.join(", ")})${q.flinkPerCore === undefined ? "" : `, Flink ${q.flinkPerCore}/s per core`}\n`);
    rates.push(rate);
  }
  const after = await measure<GeneratorRate>("generator", generatorEvents, rounds);
  process.stderr.write(`  generator after: loop ${after.loop_rps}/s, weir source → discard ${after.job_rps}/s\n`);
  const baselineRps = Math.max(before.job_rps, after.job_rps);
  for (const rate of rates) {
    const flink = QUERIES.find((q) => q.name === rate.query)!.flinkPerCore;
    const result = caseResult(
      {
        case: `nexmark-${rate.query}-embedded-p1`,
        records: rate.events,
        weir_rps: rate.rps,
        baseline: "the Nexmark generator alone in a weir job (source → discard sink), parallelism 1, same run",
        baseline_rps: baselineRps,
        target: null,
      },
      {
        flink_rps_per_core: flink ?? null,
        vs_flink: flink === undefined ? null : Math.round((rate.rps / flink) * 1000) / 1000,
        rounds_rps: rate.rounds,
      },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  const generator = caseResult(
    {
      case: "nexmark-generator-embedded-p1",
      records: generatorEvents,
      weir_rps: baselineRps,
      baseline: "the Nexmark generator as a plain loop (generate and discard), same run",
      baseline_rps: Math.max(before.loop_rps, after.loop_rps),
      target: null,
    },
    { job_rps_before: before.job_rps, job_rps_after: after.job_rps, loop_rps_before: before.loop_rps, loop_rps_after: after.loop_rps },
  );
  process.stdout.write(`${JSON.stringify(generator)}\n`);
  if (!args.includes("--embedded-only")) await overNats(rates.map((r) => ({ name: r.query, events: r.events })), generatorEvents, baselineRps);
}

async function overNats(queries: { name: string; events: number }[], generatorEvents: number, embeddedGeneratorRps: number): Promise<void> {
  const { generator, queries: rates } = await measureOverNats(queries, generatorEvents);
  const baselineRps = Math.max(...generator.map((g) => g.rps));
  for (const rate of rates) {
    const flink = QUERIES.find((q) => q.name === rate.query)!.flinkPerCore;
    const result = caseResult(
      {
        case: `nexmark-${rate.query}-nats-2-workers`,
        records: rate.events,
        weir_rps: rate.rps,
        baseline: "the Nexmark generator alone (source → discard sink) on the same cluster, parallelism 2, same run",
        baseline_rps: baselineRps,
        target: null,
      },
      {
        per_worker_rps: Math.round(rate.rps / 2),
        flink_rps_per_core: flink ?? null,
        vs_flink_per_worker: flink === undefined ? null : Math.round((rate.rps / 2 / flink) * 1000) / 1000,
        job_ms: rate.jobMs,
      },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  const generatorResult = caseResult(
    {
      case: "nexmark-generator-nats-2-workers",
      records: generatorEvents,
      weir_rps: baselineRps,
      baseline: "the same job embedded at parallelism 1 (part 1 of this case)",
      baseline_rps: embeddedGeneratorRps,
      target: null,
    },
    { rounds_rps: generator.map((g) => Math.round(g.rps)) },
  );
  process.stdout.write(`${JSON.stringify(generatorResult)}\n`);
}

await main();
