// Case (j): async I/O, embedded, parallelism 1:
//   fromGenerator(i) → AsyncDataStream.orderedWait / unorderedWait(async x => x + 1) → counting sink
// against the same pipeline with a synchronous map(x => x + 1) in its place: what the operator
// itself costs per record (a promise, a timeout timer, the queue). Then, as context, the same
// operator against a function that answers after ~1 ms, at two capacities: throughput follows
// capacity / latency. Rounds are interleaved; the best of each is reported.
//
//   node --import tsx bench/cases/async-io-embedded.ts [--records N] [--slow-records N] [--rounds R]

import { AsyncDataStream, StreamExecutionEnvironment, type DataStream, type SingleOutputStreamOperator } from "../../src/index.ts";
import { best, caseResult, inMillions, numberOption, recordsPerSecond, scaled } from "../report.ts";

type Stage = (numbers: DataStream<number>) => SingleOutputStreamOperator<number>;

async function pipeline(records: number, stage: Stage): Promise<number> {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  let count = 0;
  stage(env.fromGenerator((i) => i, { count: records })).addSink(() => {
    count++;
  });
  const started = performance.now();
  await env.execute("bench-async-io");
  if (count !== records) throw new Error(`the sink counted ${count} records, expected ${records}`);
  return recordsPerSecond(records, performance.now() - started);
}

const plusOne = async (x: number) => x + 1;
const afterOneMs = (x: number) => new Promise<number>((resolve) => setTimeout(() => resolve(x + 1), 1));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const records = scaled(numberOption(args, "records", 500_000));
  const slowRecords = scaled(numberOption(args, "slow-records", 20_000));
  const rounds = numberOption(args, "rounds", 3);
  const rates = { map: [] as number[], ordered: [] as number[], unordered: [] as number[], slow10: [] as number[], slow100: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    rates.map.push(await pipeline(records, (s) => s.map((x) => x + 1)));
    rates.ordered.push(await pipeline(records, (s) => AsyncDataStream.orderedWait(s, plusOne, { timeoutMs: 60_000, capacity: 100 })));
    rates.unordered.push(await pipeline(records, (s) => AsyncDataStream.unorderedWait(s, plusOne, { timeoutMs: 60_000, capacity: 100 })));
    rates.slow10.push(await pipeline(slowRecords, (s) => AsyncDataStream.unorderedWait(s, afterOneMs, { timeoutMs: 60_000, capacity: 10 })));
    rates.slow100.push(await pipeline(slowRecords, (s) => AsyncDataStream.unorderedWait(s, afterOneMs, { timeoutMs: 60_000, capacity: 100 })));
    const [map, ordered, unordered] = inMillions([rates.map[round], rates.ordered[round], rates.unordered[round]]);
    process.stderr.write(`  round ${round + 1}: map ${map} M/s, orderedWait ${ordered} M/s, unorderedWait ${unordered} M/s; 1 ms answers: capacity 10 ${Math.round(rates.slow10[round])}/s, capacity 100 ${Math.round(rates.slow100[round])}/s\n`);
  }
  const result = caseResult(
    {
      case: "j-async-io-embedded",
      records,
      weir_rps: best(rates.ordered),
      baseline: "the same pipeline with a synchronous map(x => x + 1) instead of orderedWait(async x => x + 1)",
      baseline_rps: best(rates.map),
      target: null,
    },
    {
      rounds,
      unordered_rps: Math.round(best(rates.unordered)),
      unordered_ratio: Math.round((best(rates.unordered) / best(rates.map)) * 1000) / 1000,
      slow_records: slowRecords,
      one_ms_capacity_10_rps: Math.round(best(rates.slow10)),
      one_ms_capacity_100_rps: Math.round(best(rates.slow100)),
    },
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
