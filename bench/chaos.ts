// `npm run chaos`: repeated chaos runs (bench/chaos/chaos-run.ts), each killing workers, NATS
// nodes and the leading one of two job managers, and cutting workers' network links (each worker
// runs in a network namespace of its own: run as root), at random while a checkpointed keyed count
// runs with an exactly-once sink, then counting
// lost and duplicated results. Prints a JSON line per run and a summary: kills survived, lost,
// duplicated, job managers that exited on their own (started again, as a supervisor would),
// recovery p50/p99 (kill → first checkpoint completed after it). A run that went wrong keeps every
// process's logs in a directory it names.
//
//   npm run chaos -- [--runs 5] [--kills 20] [--seed 1] [--rate 600] [--seconds-per-kill 12]

import { numberOption } from "./report.ts";
import { percentile, runChaos } from "./chaos/chaos-run.ts";

const args = process.argv.slice(2);
const runs = numberOption(args, "runs", 5);
const kills = numberOption(args, "kills", 20);
const seed = numberOption(args, "seed", 1);
const rate = numberOption(args, "rate", 600);
// Input per kill: enough that the job outlasts its kills even when recoveries are slow (a loaded machine).
const secondsPerKill = numberOption(args, "seconds-per-kill", 12);

const recovery: number[] = [];
let survived = 0;
let lost = 0;
let duplicated = 0;
let failedRuns = 0;
let jobManagerExits = 0;
for (let run = 1; run <= runs; run++) {
  const result = await runChaos({ kills, kinds: ["worker", "nats-node", "job-manager", "network-cut"], jobManagers: 2, seed: seed + run, rate, secondsPerKill, progress: (line) => process.stderr.write(`run ${run}: ${line}\n`) });
  recovery.push(...result.recoveryMs);
  survived += result.recovered;
  lost += result.lost;
  duplicated += result.duplicated;
  jobManagerExits += result.jobManagerExits.length;
  if (result.status !== "finished") failedRuns += 1;
  const { recoveryMs, ...figures } = result;
  process.stdout.write(`${JSON.stringify({ run, ...figures, recovery_p50_ms: percentile(recoveryMs, 50), recovery_p99_ms: percentile(recoveryMs, 99) })}\n`);
}
process.stdout.write(
  `${JSON.stringify({ summary: "chaos", runs, kills_survived: survived, lost, duplicated, runs_not_finished: failedRuns, job_manager_exits: jobManagerExits, recovery_p50_ms: percentile(recovery, 50), recovery_p99_ms: percentile(recovery, 99) })}\n`,
);
