// Case (b): the keyed shuffle job (bench/jobs/keyed-shuffle.ts) on a real cluster: nats-server,
// `weir jobmanager` and two `weir worker` processes with one slot each, so each worker runs one
// source → reduce → sink pipeline and records cross processes through NATS. The job is submitted
// with `weir run --nats`; its rate is records / the job duration `weir run` reports (submission
// to finish, deployment included). The raw ceiling, measured in between on the same server, is
// nats.js pub/sub of the same records in msgpackr frames between two processes
// (bench/raw-nats-peer.ts). One warm-up job first; then raw and weir rounds alternate.
//
//   node --import tsx bench/cases/shuffle-nats.ts [--records N] [--rounds R]

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.ts";
import { runWeir, startJobManagerProcess, startWorkerProcess, type WeirProcess } from "../../src/testing/processes.ts";
import type { SinkReport } from "../jobs/keyed-shuffle.ts";
import { BENCH_DIR, best, caseResult, inMillions, numberOption, recordsPerSecond, runTsScript, scaled } from "../report.ts";

const JOB = join(BENCH_DIR, "jobs", "keyed-shuffle.ts");
const RAW_PEER = join(BENCH_DIR, "raw-nats-peer.ts");
const RAW_SUBJECT = "bench.raw";

interface WeirRun {
  /** The job's duration as `weir run` reports it: from submission to finished. */
  jobMs: number;
  /** From the first record reaching a sink to the last sink closing (wall clock, same machine). */
  dataMs: number;
}

async function runWeirJob(natsUrl: string, records: number): Promise<WeirRun> {
  const reportDir = mkdtempSync(join(tmpdir(), "weir-bench-b-"));
  try {
    const run = await runWeir(["run", JOB, "--nats", natsUrl, "--", "--count", String(records), "--parallelism", "2", "--report", reportDir], 120_000);
    const finished = /finished in (\d+) ms/.exec(run.stderr);
    if (run.code !== 0 || !finished) throw new Error(`weir run exited with ${run.code}:\n${run.stderr.slice(-4000)}`);
    const reports = readdirSync(reportDir).map((file) => JSON.parse(readFileSync(join(reportDir, file), "utf8")) as SinkReport);
    const received = reports.reduce((sum, r) => sum + r.count, 0);
    if (received !== records) throw new Error(`weir's sinks received ${received} of ${records} records`);
    const dataMs = Math.max(...reports.map((r) => r.closedAt)) - Math.min(...reports.filter((r) => r.count > 0).map((r) => r.firstAt));
    return { jobMs: Number(finished[1]), dataMs };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

async function runRawRound(natsUrl: string, records: number): Promise<number> {
  const stdout = await runTsScript(RAW_PEER, ["send", "--nats", natsUrl, "--subject", RAW_SUBJECT, "--records", String(records)]);
  const { ms } = JSON.parse(stdout.trim().split("\n").pop()!) as { ms: number };
  return ms;
}

function startRawReceiver(natsUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", RAW_PEER, "receive", "--nats", natsUrl, "--subject", RAW_SUBJECT], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`raw receiver exited with ${code}:\n${stderr}`)));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const records = scaled(numberOption(args, "records", 3_000_000));
  const rounds = numberOption(args, "rounds", 4);
  let server: NatsServerHandle | undefined;
  const processes: WeirProcess[] = [];
  let receiver: ChildProcess | undefined;
  try {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url));
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 1, "bench-w1"), startWorkerProcess(server.url, 1, "bench-w2")])));
    receiver = await startRawReceiver(server.url);
    await runWeirJob(server.url, Math.min(records, 1_000_000)); // warm-up: loads the job module, JITs the workers

    const baselineRates: number[] = [];
    const weirRates: number[] = [];
    const dataRates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      baselineRates.push(recordsPerSecond(records, await runRawRound(server.url, records)));
      const run = await runWeirJob(server.url, records);
      weirRates.push(recordsPerSecond(records, run.jobMs));
      dataRates.push(recordsPerSecond(records, run.dataMs));
      process.stderr.write(`  round ${round + 1}: raw ${inMillions([baselineRates[round]])[0]} M/s, weir ${inMillions([weirRates[round]])[0]} M/s (job ${run.jobMs} ms, data plane ${run.dataMs} ms)\n`);
    }
    const result = caseResult(
      {
        case: "b-keyby-shuffle-nats-2-workers",
        records,
        weir_rps: best(weirRates),
        baseline: "raw ceiling: nats.js pub/sub of the same records in ~32 KiB msgpackr frames, sender process (generate+encode) → receiver process (decode), 8-frame credit window",
        baseline_rps: best(baselineRates),
        target: 0.5,
      },
      {
        rounds,
        weir_rounds_mrps: inMillions(weirRates),
        baseline_rounds_mrps: inMillions(baselineRates),
        weir_data_plane_rounds_mrps: inMillions(dataRates),
      },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    receiver?.kill("SIGTERM");
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  }
}

await main();
