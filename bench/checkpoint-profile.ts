// The 1M-key job of case (g) alone, for a CPU profile of what its checkpoints cost: one warm-up run
// without checkpoints, then --runs runs of --records records over --keys keys with a checkpoint
// every --interval ms (0: none), each printing its rate. Run it twice under `node --cpu-prof`, with
// and without checkpoints, and compare the profiles (see docs/benchmarks.md, Checkpoints).
//
//   node --cpu-prof --cpu-prof-dir /tmp/prof-with --import tsx bench/checkpoint-profile.ts --interval 1000
//   node --cpu-prof --cpu-prof-dir /tmp/prof-without --import tsx bench/checkpoint-profile.ts --interval 0

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { StreamExecutionEnvironment } from "../src/index.ts";
import { buildJobGraph, requiredSlots } from "../src/graph/job-graph.ts";
import { MiniCluster } from "../src/cluster/mini-cluster.ts";
import { newJobId } from "../src/cluster/job-client.ts";
import keyedCount, { keyedCountArgs } from "./jobs/keyed-count.ts";
import { numberOption, recordsPerSecond } from "./report.ts";

async function run(records: number, keys: number, checkpointMs: number, storage: string): Promise<number> {
  const env = new StreamExecutionEnvironment();
  await keyedCount(env, keyedCountArgs({ keys, count: records, parallelism: 2, checkpointMs, storage: checkpointMs > 0 ? storage : undefined }));
  const jobGraph = buildJobGraph(env.graph, env.jobConfig("bench-checkpoint-profile"));
  const cluster = new MiniCluster({ slots: requiredSlots(jobGraph) });
  try {
    const started = performance.now();
    const client = await cluster.submit({ jobGraph, streamGraph: env.graph, collectors: new Map() }, newJobId());
    await client.result;
    return recordsPerSecond(records, performance.now() - started);
  } finally {
    await cluster.close();
  }
}

const args = process.argv.slice(2);
const keys = numberOption(args, "keys", 1_000_000);
const records = numberOption(args, "records", 3_000_000);
const interval = numberOption(args, "interval", 1000);
const runs = numberOption(args, "runs", 3);
const dir = mkdtempSync(join(tmpdir(), "weir-checkpoint-profile-"));
try {
  await run(Math.min(records, 1_000_000), keys, 0, "");
  for (let i = 0; i < runs; i++) {
    const rps = await run(records, keys, interval, pathToFileURL(join(dir, "checkpoints")).href);
    process.stderr.write(`run ${i + 1}, checkpoint interval ${interval} ms: ${(rps / 1e6).toFixed(2)} M records/s\n`);
  }
} finally {
  // A checkpoint committing as its job ends is written afterwards (docs/benchmarks.md, Checkpoints).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  rmSync(dir, { recursive: true, force: true });
}
