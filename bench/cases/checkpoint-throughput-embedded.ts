// Case (g): what periodic checkpoints cost a keyed job's throughput, embedded. The job is
// bench/jobs/keyed-count.ts (generator of keys → keyBy → ValueState<number> count → discard),
// parallelism 2, bounded; it runs with checkpoints every second (to a file:// directory in a temp
// dir) and without, alternately, in the same process, after one warm-up run. The ratio is with /
// without. It runs at two key counts: 10,000 keys over --records records (small state: mostly the
// cost of barriers and alignment), and 1,000,000 keys over a quarter as many records (the state
// is full after a third of them, so most checkpoints hold all 1M keys), for fewer rounds because
// with checkpoints it runs several times longer. Besides wall-clock rates it reports the process's
// CPU time per run (process.cpuUsage, user + system, every thread): on a shared, loaded machine the
// wall-clock ratio swings with whatever else runs, while the CPU a run needs hardly does, so
// `*_cpu_ratio` (CPU without / CPU with, best of each) says what checkpoints cost when the core is
// the job's alone.
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
  /** CPU time of the whole process during the run (user + system, ms). */
  cpuMs: number;
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
    const cpuBefore = process.cpuUsage();
    const client = await cluster.submit({ jobGraph, streamGraph: env.graph, collectors: new Map() }, jobId);
    await client.result;
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (keyedCountProgress.sunk !== options.records) throw new Error(`the sink received ${keyedCountProgress.sunk} of ${options.records} records`);
    const completed = watch.completed();
    return { rps: recordsPerSecond(options.records, ms), cpuMs: (cpu.user + cpu.system) / 1000, checkpoints: completed.length, syncMs: completed.reduce((t, c) => t + checkpointFigures(c).sync_ms_sum, 0) };
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
  withoutCpuMs: number[];
  withCpuMs: number[];
  checkpoints: number[];
  syncMs: number[];
}

/** CPU time the job needs without checkpoints over what it needs with them, best (least) run of each. */
function cpuRatio(v: Variant): number {
  return Math.round((Math.min(...v.withoutCpuMs) / Math.min(...v.withCpuMs)) * 1000) / 1000;
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
    { keys: 10_000, records, without: [], with: [], withoutCpuMs: [], withCpuMs: [], checkpoints: [], syncMs: [] },
    { keys: Math.min(1_000_000, Math.round(records / 12)), records: Math.round(records / 4), without: [], with: [], withoutCpuMs: [], withCpuMs: [], checkpoints: [], syncMs: [] },
  ];
  try {
    for (const v of variants) await runJob({ records: Math.min(v.records, 1_000_000), keys: v.keys, intervalMs: 0, storage }); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        if (v !== variants[0] && round >= largeRounds) continue;
        const plain = await runJob({ records: v.records, keys: v.keys, intervalMs: 0, storage });
        v.without.push(plain.rps);
        v.withoutCpuMs.push(Math.round(plain.cpuMs));
        const run = await runJob({ records: v.records, keys: v.keys, intervalMs, storage });
        v.with.push(run.rps);
        v.withCpuMs.push(Math.round(run.cpuMs));
        v.checkpoints.push(run.checkpoints);
        v.syncMs.push(Math.round(run.syncMs));
        const [without, withCheckpoints] = inMillions([v.without[round], v.with[round]]);
        process.stderr.write(`  round ${round + 1}, ${v.keys} keys: without checkpoints ${without} M/s (${Math.round(plain.cpuMs)} ms CPU), with ${withCheckpoints} M/s (${Math.round(run.cpuMs)} ms CPU; ${run.checkpoints} checkpoints, ${Math.round(run.syncMs)} ms sync in all)\n`);
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
        cpu_ms_without_runs: small.withoutCpuMs,
        cpu_ms_with_runs: small.withCpuMs,
        cpu_ratio: cpuRatio(small),
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
        large_cpu_ms_without_runs: large.withoutCpuMs,
        large_cpu_ms_with_runs: large.withCpuMs,
        large_cpu_ratio: cpuRatio(large),
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
