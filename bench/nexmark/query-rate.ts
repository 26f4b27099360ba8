// One Nexmark measurement in a fresh process (so one query's JIT state cannot help or hurt
// another): either a query embedded at parallelism 1 on the generator, results discarded, or the
// baseline — the generator alone, as a plain loop and as a weir job (source → discard sink).
// A warm-up run of a tenth of the events, then `rounds` rounds; prints one JSON line, best round.
//
//   node --import tsx bench/nexmark/query-rate.ts --query q5 --events 400000 [--rounds 2]
//   node --import tsx bench/nexmark/query-rate.ts --query generator --events 2000000

import { StreamExecutionEnvironment } from "../../src/index.ts";
import { NexmarkGenerator, nexmarkConfig } from "../../src/nexmark/index.ts";
import { nexmarkEvents, type QueryOptions } from "../../examples/nexmark/common.ts";
import { best, numberOption, recordsPerSecond } from "../report.ts";
import { benchQuery, type BenchQuery } from "./queries.ts";

async function runEmbedded(build: BenchQuery["build"], events: number): Promise<number> {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  const options: QueryOptions = { events, seed: 0 };
  build(nexmarkEvents(env, options));
  const started = performance.now();
  await env.execute("bench-nexmark");
  return recordsPerSecond(events, performance.now() - started);
}

/** The generator as a plain loop: every event made and dropped. */
function generatorLoop(events: number): number {
  const started = performance.now();
  const timeline = new NexmarkGenerator(nexmarkConfig({ seed: 0 }), { firstEventId: 0, events });
  let checksum = 0;
  while (timeline.hasNext()) checksum += timeline.next().dateTime & 1;
  const ms = performance.now() - started;
  if (checksum < 0) throw new Error("unreachable");
  return recordsPerSecond(events, ms);
}

const passThrough: BenchQuery["build"] = (events) => {
  events.addSink(() => undefined);
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args[args.indexOf("--query") + 1];
  const events = numberOption(args, "events", 1_000_000);
  const rounds = numberOption(args, "rounds", 2);
  if (name === "generator") {
    generatorLoop(Math.round(events / 10));
    await runEmbedded(passThrough, Math.round(events / 10));
    const loop: number[] = [];
    const job: number[] = [];
    for (let round = 0; round < rounds; round++) {
      loop.push(generatorLoop(events));
      job.push(await runEmbedded(passThrough, events));
    }
    process.stdout.write(`${JSON.stringify({ query: "generator", events, loop_rps: Math.round(best(loop)), job_rps: Math.round(best(job)), loop_rounds: loop.map(Math.round), job_rounds: job.map(Math.round) })}\n`);
    return;
  }
  const { build } = benchQuery(name);
  await runEmbedded(build, Math.round(events / 10));
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) rates.push(await runEmbedded(build, events));
  process.stdout.write(`${JSON.stringify({ query: name, events, rps: Math.round(best(rates)), rounds: rates.map(Math.round) })}\n`);
}

await main();
