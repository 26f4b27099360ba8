// Job manager takeover time on a real cluster: nats-server, two `weir jobmanager --ha` processes
// and two `weir worker --slots 2`. One job (bench/jobs/keyed-count.ts, 10k keys, rate-limited,
// checkpoints every second to a file:// directory) is submitted with `weir run --detached`; then,
// `--kills` times, the leading job manager is killed with SIGKILL once the job runs with a
// completed checkpoint, and a fresh standby is started for the next round. Each round prints one
// JSON line with, from the kill:
//   leader_ms   — the standby's "leading" log line (the lease lapsed and was acquired),
//   running_ms  — the job's `running` status again (old subtasks canceled, redeployed, restored).
// The baseline measured in the same run is the same job's first deployment: submission → running.
// The lease's time to live bounds leader_ms from below; `--lease-ttl` sets it (default 3000).
//
//   node --import tsx bench/takeover-nats.ts [--kills N] [--lease-ttl MS]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { subjects } from "../src/bus/subjects.ts";
import { decode } from "../src/messages/codec.ts";
import type { JobStatus } from "../src/messages/schema.ts";
import { startNatsServer } from "../src/testing/nats-server.ts";
import { runWeir, startJobManagerProcess, startWorkerProcess, type WeirProcess } from "../src/testing/processes.ts";
import { BENCH_DIR, numberOption } from "./report.ts";

const args = process.argv.slice(2);
const kills = numberOption(args, "kills", 3);
const leaseTtl = numberOption(args, "lease-ttl", 3000);
const JOB = join(BENCH_DIR, "jobs", "keyed-count.ts");

const leads = (jm: WeirProcess) => /"time":(\d+),[^\n]*"msg":"leading \(epoch (\d+)\)/.exec(jm.logs());

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const server = await startNatsServer();
const dir = mkdtempSync(join(tmpdir(), "weir-bench-takeover-"));
const jobManagerArgs = ["--ha", "--lease-ttl", String(leaseTtl), "--heartbeat-timeout", "3000", "--log-format", "json"];
const processes: WeirProcess[] = [];
try {
  const jobManagers = [await startJobManagerProcess(server.url, jobManagerArgs), await startJobManagerProcess(server.url, jobManagerArgs)];
  processes.push(...jobManagers);
  for (const id of ["bench-ha-a", "bench-ha-b"]) processes.push(await startWorkerProcess(server.url, 2, id));
  await until("a leader", () => (jobManagers.some((jm) => leads(jm)) ? true : undefined));

  const nc = await connect({ servers: server.url });
  const statuses: { status: JobStatus; at: number }[] = [];
  let completedCheckpoints = 0;
  const submittedAt = Date.now();
  const run = await runWeir(["run", JOB, "--nats", server.url, "--detached", "-p", "2", "--", "--keys", "10000", "--rate", "2000", "--checkpoint-ms", "1000", "--storage", `file://${join(dir, "checkpoints")}`]);
  const jobId = run.stdout.trim();
  if (run.code !== 0 || !/^[0-9a-f]{16}$/.test(jobId)) throw new Error(`weir run failed:\n${run.stderr}`);
  nc.subscribe(subjects.jobStatus(jobId), { callback: (_e, m) => {
    const out = decode(m.data, ["job-status"]);
    if (out.ok) statuses.push({ status: out.message.status, at: Date.now() });
  } });
  nc.subscribe(subjects.checkpointControl(jobId), { callback: (_e, m) => {
    const out = decode(m.data, ["checkpoint-notify"]);
    if (out.ok && out.message.outcome === "complete") completedCheckpoints += 1;
  } });
  const firstRunning = await until("the job to run", () => statuses.find((s) => s.status === "running")?.at);
  console.log(JSON.stringify({ case: "takeover-baseline", what: "submission → running (first deployment)", ms: firstRunning - submittedAt }));

  for (let round = 1; round <= kills; round++) {
    const seen = completedCheckpoints;
    await until("a completed checkpoint", () => (completedCheckpoints > seen ? true : undefined));
    const leader = jobManagers.find((jm) => leads(jm))!;
    const standby = jobManagers.find((jm) => jm !== leader)!;
    const killedAt = Date.now();
    await leader.stop("SIGKILL");
    const led = await until("the standby to lead", () => leads(standby) ?? undefined);
    const runningAt = await until("the job to run again", () => statuses.find((s) => s.status === "running" && s.at > killedAt)?.at);
    console.log(JSON.stringify({ case: "takeover", round, epoch: Number(led[2]), lease_ttl_ms: leaseTtl, leader_ms: Number(led[1]) - killedAt, running_ms: runningAt - killedAt }));
    // A fresh standby for the next round.
    jobManagers.splice(jobManagers.indexOf(leader), 1);
    const fresh = await startJobManagerProcess(server.url, jobManagerArgs);
    jobManagers.push(fresh);
    processes.push(fresh);
  }
  await runWeir(["cancel", jobId, "--nats", server.url]);
  await nc.close();
} finally {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
