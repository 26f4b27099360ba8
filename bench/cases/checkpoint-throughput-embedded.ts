// Case (g): what periodic checkpoints cost a keyed job's throughput, embedded. The job is
// bench/jobs/keyed-count.ts (generator of keys → keyBy → ValueState<number> count → discard),
// parallelism 2, bounded; it runs with checkpoints every second (to a file:// directory in a temp
// dir) and without, alternately, in the same process, after one warm-up run. The ratio is with /
// without. It runs at two key counts: 10,000 keys over --records records (small state: mostly the
// cost of barriers and alignment), and 1,000,000 keys over a quarter as many records (the state
// is full after a third of them, so most checkpoints hold all 1M keys), for fewer rounds because
// with checkpoints it runs several times longer.
//
//   node --import tsx bench/cases/checkpoint-throughput-embedded.ts [--records N] [--rounds R] [--large-rounds R] [--interval MS]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { buildJobGraph, requiredSlots } from "../../src/graph/job-graph.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { newJobId } from "../../src/cluster/job-client.ts";
import keyedCount, { keyedCountArgs, keyedCountProgress } from "../jobs/keyed-count.ts";
import { CheckpointWatch, checkpointFigures } from "../checkpoint-watch.ts";
import { best, caseResult, inMillions, numberOption, recordsPerSecond, scaled } from "../report.ts";

const PARALLELISM = 2;

interface Run {
  rps: number;
  checkpoints: number;
  /** Sum over the run's checkpoints of every subtask's synchronous part (input waits meanwhile). */
  syncMs: number;
}

async function runJob(options: { records: number; keys: number; intervalMs: number; storage: string }): Promise<Run> {
  const env = new StreamExecutionEnvironment();
  await keyedCount(env, keyedCountArgs({ keys: options.keys, count: options.records, parallelism: PARALLELISM, checkpointMs: options.intervalMs, storage: options.intervalMs > 0 ? options.storage : undefined }));
  const jobGraph = buildJobGraph(env.graph, env.jobConfig("bench-checkpoint-throughput"));
  const cluster = new MiniCluster({ slots: requiredSlots(jobGraph) });
  const jobId = newJobId();
  const watch = new CheckpointWatch(cluster.bus, jobId);
  keyedCountProgress.sunk = 0;
  try {
    const started = performance.now();
    const client = await cluster.submit({ jobGraph, streamGraph: env.graph, collectors: new Map() }, jobId);
    await client.result;
    const ms = performance.now() - started;
    if (keyedCountProgress.sunk !== options.records) throw new Error(`the sink received ${keyedCountProgress.sunk} of ${options.records} records`);
    const completed = watch.completed();
    return { rps: recordsPerSecond(options.records, ms), checkpoints: completed.length, syncMs: completed.reduce((t, c) => t + checkpointFigures(c).sync_ms_sum, 0) };
  } finally {
    watch.close();
    await cluster.close();
  }
}

interface Variant {
  keys: number;
  records: number;
  without: number[];
  with: number[];
  checkpoints: number[];
  syncMs: number[];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const records = scaled(numberOption(args, "records", 12_000_000));
  const rounds = numberOption(args, "rounds", 3);
  const largeRounds = numberOption(args, "large-rounds", 2);
  const intervalMs = numberOption(args, "interval", 1000);
  const dir = mkdtempSync(join(tmpdir(), "weir-bench-g-"));
  const storage = pathToFileURL(join(dir, "checkpoints")).href;
  const variants: Variant[] = [
    { keys: 10_000, records, without: [], with: [], checkpoints: [], syncMs: [] },
    { keys: Math.min(1_000_000, Math.round(records / 12)), records: Math.round(records / 4), without: [], with: [], checkpoints: [], syncMs: [] },
  ];
  try {
    for (const v of variants) await runJob({ records: Math.min(v.records, 1_000_000), keys: v.keys, intervalMs: 0, storage }); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        if (v !== variants[0] && round >= largeRounds) continue;
        v.without.push((await runJob({ records: v.records, keys: v.keys, intervalMs: 0, storage })).rps);
        const run = await runJob({ records: v.records, keys: v.keys, intervalMs, storage });
        v.with.push(run.rps);
        v.checkpoints.push(run.checkpoints);
        v.syncMs.push(Math.round(run.syncMs));
        const [without, withCheckpoints] = inMillions([v.without[round], v.with[round]]);
        process.stderr.write(`  round ${round + 1}, ${v.keys} keys: without checkpoints ${without} M/s, with ${withCheckpoints} M/s (${run.checkpoints} checkpoints, ${Math.round(run.syncMs)} ms sync in all)\n`);
      }
    }
    const [small, large] = variants;
    const result = caseResult(
      {
        case: "g-keyed-throughput-checkpoints-1s-embedded",
        records,
        weir_rps: best(small.with),
        baseline: `the same job (p=${PARALLELISM}, ${small.keys} keys) without checkpointing`,
        baseline_rps: best(small.without),
        target: null,
      },
      {
        interval_ms: intervalMs,
        parallelism: PARALLELISM,
        rounds,
        keys: small.keys,
        with_rounds_mrps: inMillions(small.with),
        without_rounds_mrps: inMillions(small.without),
        checkpoints_per_run: small.checkpoints,
        sync_ms_per_run: small.syncMs,
        large_keys: large.keys,
        large_records: large.records,
        large_rounds: largeRounds,
        large_with_rps: Math.round(best(large.with)),
        large_without_rps: Math.round(best(large.without)),
        large_ratio: Math.round((best(large.with) / best(large.without)) * 1000) / 1000,
        large_with_rounds_mrps: inMillions(large.with),
        large_without_rounds_mrps: inMillions(large.without),
        large_checkpoints_per_run: large.checkpoints,
        large_sync_ms_per_run: large.syncMs,
      },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    // A checkpoint whose commit is in flight when its job ends is still written afterwards (see
    // docs/benchmarks.md, Checkpoints): let it land before the directory goes.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
