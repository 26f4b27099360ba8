// Case (e): how long a checkpoint of 1M keys of keyed state takes, embedded, with the heap
// backend, then the LMDB backend (setStateBackend("lmdb"): full snapshots), then LMDB with
// incremental checkpoints ({ incremental: true }). The job is
// bench/jobs/keyed-count.ts (an unbounded generator of keys i % 1M → keyBy → ValueState<number>
// count → discard), parallelism 2, checkpointing to a file:// directory in a temp dir. It runs on
// a MiniCluster built here, so the case can watch the job's bus: the checkpoints triggered once
// every key has state are measured; their acks give sync, async and alignment ms and bytes per
// subtask.
// Baseline, in the same process (rounds before, between and after the jobs): raw msgpackr
// encoding of a plain Map with the same number of entries, then writing the bytes to a file with
// fsync.
//
//   node --import tsx bench/cases/checkpoint-duration-embedded.ts [--keys N] [--checkpoints C] [--lmdb-checkpoints C] [--interval MS] [--parallelism P] [--rounds R]
//
// The job is not rate-limited, so between two checkpoints it touches a large share of the keys:
// incremental checkpoints here show what they cost when much of the state changes.

import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Packr } from "msgpackr";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { buildJobGraph, requiredSlots } from "../../src/graph/job-graph.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { newJobId } from "../../src/cluster/job-client.ts";
import keyedCount, { keyedCountArgs, keyedCountProgress } from "../jobs/keyed-count.ts";
import { CheckpointWatch, checkpointFigures, type CheckpointFigures } from "../checkpoint-watch.ts";
import { caseResult, numberOption, recordsPerSecond, scaled } from "../report.ts";

interface BaselineRound {
  encodeMs: number;
  writeMs: number;
  bytes: number;
}

/** Writes `bytes` to a new file and fsyncs it, as the file checkpoint storage does (without its rename and digest). */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const file = await open(path, "wx");
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function baselineRound(keys: number, dir: string, round: number): Promise<BaselineRound> {
  const map = new Map<number, number>();
  for (let k = 0; k < keys; k++) map.set(k, 1 + (k % 7));
  const packr = new Packr();
  const started = performance.now();
  const bytes = packr.pack(map);
  const encoded = performance.now();
  await writeDurably(join(dir, `baseline-${round}.msgpack`), bytes);
  return { encodeMs: encoded - started, writeMs: performance.now() - encoded, bytes: bytes.length };
}

interface WeirRun {
  checkpoints: CheckpointFigures[];
  /** Checkpoints that completed while the state was still filling (not reported as full). */
  partial: number;
  fillMs: number;
  recordsPerSecond: number;
}

async function weirRun(options: { keys: number; parallelism: number; intervalMs: number; checkpoints: number; dir: string; stateDir?: string; incremental?: boolean }): Promise<WeirRun> {
  const storage = pathToFileURL(join(options.dir, "checkpoints")).href;
  const env = new StreamExecutionEnvironment();
  await keyedCount(env, keyedCountArgs({ keys: options.keys, parallelism: options.parallelism, checkpointMs: options.intervalMs, storage, stateDir: options.stateDir, incremental: options.incremental }));
  const jobGraph = buildJobGraph(env.graph, env.jobConfig("bench-checkpoint-duration"));
  const cluster = new MiniCluster({ slots: requiredSlots(jobGraph) });
  const jobId = newJobId();
  const watch = new CheckpointWatch(cluster.bus, jobId);
  keyedCountProgress.distinctKeys = 0;
  keyedCountProgress.sunk = 0;
  try {
    const started = performance.now();
    const client = await cluster.submit({ jobGraph, streamGraph: env.graph, collectors: new Map() }, jobId);
    client.result.catch(() => undefined);
    // When every key has state, any checkpoint triggered afterwards holds all of them.
    let fullAt = Infinity;
    let fillMs = 0;
    const poll = setInterval(() => {
      if (fullAt === Infinity && keyedCountProgress.distinctKeys >= options.keys) {
        fullAt = Date.now();
        fillMs = performance.now() - started;
      }
    }, 5);
    const full: CheckpointFigures[] = [];
    let partial = 0;
    try {
      for (let seen = new Set<number>(); full.length < options.checkpoints; ) {
        const next = await Promise.race([
          watch.nextEnded((c) => !seen.has(c.checkpointId)),
          client.result.then(() => Promise.reject(new Error("the job ended")), (error: Error) => Promise.reject(error)),
        ]);
        seen.add(next.checkpointId);
        if (next.outcome !== "complete") throw new Error(`checkpoint ${next.checkpointId} was aborted: ${next.declines.join("; ")}`);
        if ((next.triggeredAt ?? 0) > fullAt) full.push(checkpointFigures(next));
        else partial++;
        const f = checkpointFigures(next);
        process.stderr.write(
          `  checkpoint ${f.id}: ${f.total_ms} ms total, sync ${f.sync_ms_sum} ms (sum over subtasks); keyed subtasks: sync ${f.state.sync_ms_max}, async ${f.state.async_ms_max}, alignment ${f.state.alignment_ms_max} ms (max); ${(f.bytes / 1e6).toFixed(1)} MB${(next.triggeredAt ?? 0) > fullAt ? "" : " (state still filling)"}\n`,
        );
      }
    } finally {
      clearInterval(poll);
    }
    const ms = performance.now() - started;
    client.cancel();
    await client.result.catch(() => undefined);
    return { checkpoints: full, partial, fillMs, recordsPerSecond: recordsPerSecond(keyedCountProgress.sunk, ms) };
  } finally {
    watch.close();
    await cluster.close();
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const min = (values: number[]) => Math.min(...values);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One backend's figures in the result line. */
function runFigures(run: WeirRun) {
  const totalMs = run.checkpoints.map((c) => c.total_ms ?? Infinity);
  const syncMs = run.checkpoints.map((c) => c.sync_ms_sum);
  return {
    total_ms_best: min(totalMs),
    total_ms_median: median(totalMs),
    sync_ms_sum_best: min(syncMs),
    sync_ms_sum_median: median(syncMs),
    keyed_sync_ms_max_median: median(run.checkpoints.map((c) => c.state.sync_ms_max)),
    keyed_async_ms_max_median: median(run.checkpoints.map((c) => c.state.async_ms_max)),
    keyed_alignment_ms_max_median: median(run.checkpoints.map((c) => c.state.alignment_ms_max)),
    bytes: run.checkpoints[0]?.bytes,
    checkpoints: run.checkpoints,
    checkpoints_while_filling: run.partial,
    fill_ms: Math.round(run.fillMs),
    job_records_per_s: Math.round(run.recordsPerSecond),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const keys = scaled(numberOption(args, "keys", 1_000_000));
  const checkpoints = numberOption(args, "checkpoints", 4);
  const lmdbCheckpoints = numberOption(args, "lmdb-checkpoints", 3);
  const intervalMs = numberOption(args, "interval", 1000);
  const parallelism = numberOption(args, "parallelism", 2);
  const rounds = numberOption(args, "rounds", 2);
  const dir = mkdtempSync(join(tmpdir(), "weir-bench-e-"));
  try {
    const baseline: BaselineRound[] = [];
    const baselineRounds = async () => {
      for (let r = 0; r < rounds; r++) baseline.push(await baselineRound(keys, dir, baseline.length));
    };
    await baselineRounds();
    process.stderr.write("  heap backend:\n");
    const heap = await weirRun({ keys, parallelism, intervalMs, checkpoints, dir });
    await baselineRounds();
    process.stderr.write("  lmdb backend:\n");
    const lmdb = await weirRun({ keys, parallelism, intervalMs, checkpoints: lmdbCheckpoints, dir, stateDir: join(dir, "lmdb") });
    await baselineRounds();
    process.stderr.write("  lmdb backend, incremental checkpoints:\n");
    const incremental = await weirRun({ keys, parallelism, intervalMs, checkpoints: lmdbCheckpoints, dir, stateDir: join(dir, "lmdb-incremental"), incremental: true });
    await baselineRounds();
    for (const b of baseline) process.stderr.write(`  baseline: encode ${round1(b.encodeMs)} ms + write+fsync ${round1(b.writeMs)} ms, ${(b.bytes / 1e6).toFixed(1)} MB\n`);

    const baselineMs = baseline.map((b) => b.encodeMs + b.writeMs);
    const baselineEncodeMs = min(baseline.map((b) => b.encodeMs));
    const heapFigures = runFigures(heap);
    const lmdbFigures = runFigures(lmdb);
    const incrementalFigures = runFigures(incremental);
    // weir's figure is the whole checkpoint as the bus shows it: trigger sent → completion notice.
    const result = caseResult(
      {
        case: "e-checkpoint-1m-keys-embedded",
        records: keys,
        weir_rps: recordsPerSecond(keys, heapFigures.total_ms_best),
        baseline: "raw msgpackr pack() of a plain Map with the same number of number→number entries, then write + fsync of those bytes to a file",
        baseline_rps: recordsPerSecond(keys, min(baselineMs)),
        target: null,
      },
      {
        unit: "keys/s: keys / ms of one checkpoint (weir: heap backend, trigger → completion notice on the bus; baseline: encode + write + fsync)",
        parallelism,
        interval_ms: intervalMs,
        baseline_ms_best: round1(min(baselineMs)),
        baseline_encode_ms_best: round1(baselineEncodeMs),
        baseline_write_ms_best: round1(min(baseline.map((b) => b.writeMs))),
        baseline_bytes: baseline[0].bytes,
        heap_sync_vs_baseline_encode: Math.round((baselineEncodeMs / heapFigures.sync_ms_sum_best) * 1000) / 1000,
        lmdb_ratio: Math.round((min(baselineMs) / lmdbFigures.total_ms_best) * 1000) / 1000,
        lmdb_incremental_ratio: Math.round((min(baselineMs) / incrementalFigures.total_ms_best) * 1000) / 1000,
        heap: heapFigures,
        lmdb: lmdbFigures,
        lmdb_incremental: incrementalFigures,
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
