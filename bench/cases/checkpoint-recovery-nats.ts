// Case (h): from a worker's SIGKILL to the first completed checkpoint after recovery, on a real
// cluster: nats-server, `weir jobmanager --heartbeat-timeout <ms>` and three `weir worker --slots 1`
// processes (the job needs two slots; the third worker is the spare that makes a restart possible).
// The job is bench/jobs/keyed-count.ts (1M keys, rate-limited, checkpoints every second to a
// file:// directory), submitted from this process. Once a checkpoint holding every key has
// completed, a worker that runs subtasks is killed with SIGKILL. The job master's status messages
// and the checkpoint notices on the bus give the components:
//
//   kill ─detection─▶ failing ─▶ restarting ─restart delay─▶ scheduling ─redeploy+restore─▶ running
//        ─first checkpoint (interval wait + the checkpoint itself)─▶ completed
//
// Detection is the resource manager's liveness probe: a killed worker's connection closes with
// it, and two pings in a row (250 ms apart) that nobody is subscribed for lose it. Without the
// probe (`weir jobmanager --probe-interval 0`) it is the heartbeat timeout, give or take a
// heartbeat interval. There is no
// baseline to run here: the result line gives times in ms (weir_ms: kill → first completed
// checkpoint; baseline_ms: the configured heartbeat timeout), and `ratio` is baseline_ms /
// weir_ms, the share of the recovery that the heartbeat timeout accounts for by configuration.
//
// With `--kills N` (default 1; `npm run bench -- h` gives 10) the case kills N times in a row:
// after each recovery and its first completed checkpoint a fresh spare worker is started, and the
// next kill takes a worker that runs subtasks. Each kill prints its own line; a last line
// (`h-kill-summary`) gives the p50 and the maximum of every component over the kills (its
// weir_ms and ratio are of the p50).
//
//   node --import tsx bench/cases/checkpoint-recovery-nats.ts [--kills N] [--heartbeat-timeout MS] [--keys N] [--rate R] [--interval MS]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { RemoteExecutor } from "../../src/cluster/remote-executor.ts";
import { decode } from "../../src/messages/codec.ts";
import type { JobStatus, SubtaskId, TaskState } from "../../src/messages/schema.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.ts";
import { startJobManagerProcess, startWorkerProcess, type WeirProcess } from "../../src/testing/processes.ts";
import keyedCount, { keyedCountArgs } from "../jobs/keyed-count.ts";
import { CheckpointWatch, checkpointFigures, type WatchedCheckpoint } from "../checkpoint-watch.ts";
import { BENCH_DIR, numberOption, scaled } from "../report.ts";

const JOB = join(BENCH_DIR, "jobs", "keyed-count.ts");
const PARALLELISM = 2;

/** Job statuses as the job master published them, with its timestamps (same machine, same clock). */
class StatusLog {
  readonly entries: { status: JobStatus; at: number; error?: string }[] = [];
  private waiters: { status: JobStatus; after: number; resolve: (at: number) => void }[] = [];

  record(status: JobStatus, at: number, error?: string): void {
    this.entries.push({ status, at, error });
    this.waiters = this.waiters.filter((w) => {
      if (w.status !== status || at < w.after) return true;
      w.resolve(at);
      return false;
    });
  }

  /** The time of the first `status` at or after `after` (now or later). */
  next(status: JobStatus, after: number, timeoutMs: number): Promise<number> {
    const seen = this.entries.find((e) => e.status === status && e.at >= after);
    if (seen) return Promise.resolve(seen.at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${status}" status within ${timeoutMs} ms; statuses so far: ${this.entries.map((e) => e.status + (e.error ? ` (${e.error})` : "")).join(", ")}`)), timeoutMs);
      this.waiters.push({ status, after, resolve: (at) => {
        clearTimeout(timer);
        resolve(at);
      } });
    });
  }
}

/** The subtasks' own reports (task-state) of the attempts after restarts: when each began loading, initializing (restore + open), running. */
class TaskStateLog {
  readonly byTask = new Map<string, { attempt: number; workerId: string; deploying?: number; initializing?: number; running?: number }>();

  record(task: SubtaskId, workerId: string, state: TaskState, at: number): void {
    if (task.attempt < 1 || (state !== "deploying" && state !== "initializing" && state !== "running")) return;
    const key = `${task.vertexId}[${task.subtaskIndex}]@${task.attempt}`;
    let entry = this.byTask.get(key);
    if (!entry) this.byTask.set(key, (entry = { attempt: task.attempt, workerId }));
    entry[state] ??= at;
  }

  /** Per phase, the slowest subtask of `attempt`'s time in it: loading the job (deploying → initializing) and restore + open (initializing → running). */
  phases(attempt: number): { load_ms_max: number; restore_open_ms_max: number; per_subtask: Record<string, { worker: string; load_ms?: number; restore_open_ms?: number }> } {
    const perSubtask: Record<string, { worker: string; load_ms?: number; restore_open_ms?: number }> = {};
    let load = 0;
    let restore = 0;
    for (const [key, e] of this.byTask) {
      if (e.attempt !== attempt) continue;
      const loadMs = e.deploying !== undefined && e.initializing !== undefined ? e.initializing - e.deploying : undefined;
      const restoreMs = e.initializing !== undefined && e.running !== undefined ? e.running - e.initializing : undefined;
      perSubtask[key] = { worker: e.workerId, load_ms: loadMs, restore_open_ms: restoreMs };
      load = Math.max(load, loadMs ?? 0);
      restore = Math.max(restore, restoreMs ?? 0);
    }
    return { load_ms_max: load, restore_open_ms_max: restore, per_subtask: perSubtask };
  }
}

/** The first completed checkpoint whose keyed state is as large as the previous completed one's (both hold every key). */
async function fullCheckpoint(watch: CheckpointWatch): Promise<WatchedCheckpoint> {
  const seen = new Set<number>();
  let previousBytes = -1;
  for (;;) {
    const next = await watch.nextEnded((c) => !seen.has(c.checkpointId));
    seen.add(next.checkpointId);
    if (next.outcome !== "complete") continue;
    const bytes = checkpointFigures(next).state.bytes;
    if (bytes > 0 && bytes === previousBytes) return next;
    previousBytes = bytes;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    promise.finally(() => clearTimeout(timer)).then(resolve, reject);
  });
}

interface KillContext {
  kill: number;
  workers: WeirProcess[];
  statuses: StatusLog;
  tasks: TaskStateLog;
  watch: CheckpointWatch;
  jobManager: WeirProcess;
  heartbeatTimeoutMs: number;
}

/** Kills a worker that runs subtasks of the job and times the recovery up to the first completed checkpoint after it. */
async function killOnce({ kill, workers, statuses, tasks, watch, jobManager, heartbeatTimeoutMs }: KillContext): Promise<Record<string, unknown>> {
  const victimIndex = workers.findIndex((w) => w.child.exitCode === null && w.child.signalCode === null && runsSubtasks(w, kill - 1));
  if (victimIndex < 0) throw new Error(`no live worker logged a running subtask of attempt ${kill - 1}`);
  const lastBeforeKill = Math.max(...watch.completed().map((c) => c.checkpointId));
  const killedAt = Date.now();
  workers[victimIndex].child.kill("SIGKILL");
  process.stderr.write(`  kill ${kill}: SIGKILL to worker ${victimIndex + 1} (heartbeat timeout ${heartbeatTimeoutMs} ms)\n`);

  const budget = heartbeatTimeoutMs + 60_000;
  const failingAt = await statuses.next("failing", killedAt, budget);
  const restartingAt = await statuses.next("restarting", failingAt, budget);
  const schedulingAt = await statuses.next("scheduling", restartingAt, budget);
  const deployingAt = await statuses.next("deploying", schedulingAt, budget);
  const recoveredAt = await statuses.next("running", deployingAt, budget);
  const first: WatchedCheckpoint = await withTimeout(
    watch.nextEnded((c) => c.outcome === "complete" && c.checkpointId > lastBeforeKill && (c.triggeredAt ?? 0) >= recoveredAt),
    budget,
    "the first checkpoint after recovery",
  );
  const firstFigures = checkpointFigures(first);
  const completedAt = first.endedAt!;
  const restarts = [...jobManager.logs().matchAll(/"checkpointId":(\d+)[^\n]*"msg":"restarting the job"/g)];
  const restoredFrom = restarts.at(-1)?.[1];
  const failure = statuses.entries.find((e) => e.status === "failing" && e.at >= killedAt)?.error;
  const phases = tasks.phases(kill);
  const components = {
    detection_ms: failingAt - killedAt,
    cancel_ms: restartingAt - failingAt,
    restart_delay_ms: schedulingAt - restartingAt,
    redeploy_restore_ms: recoveredAt - schedulingAt,
    // Parts of redeploy+restore, the slowest subtask each: loading the job module, then restore + open.
    load_ms_max: phases.load_ms_max,
    restore_open_ms_max: phases.restore_open_ms_max,
    first_trigger_wait_ms: (first.triggeredAt ?? completedAt) - recoveredAt,
    first_checkpoint_ms: firstFigures.total_ms,
    kill_to_running_ms: recoveredAt - killedAt,
  };
  const totalMs = completedAt - killedAt;
  process.stderr.write(`  ${Object.entries(components).map(([k, v]) => `${k} ${v}`).join(", ")}; total ${totalMs} ms\n`);
  // Times, not rates: this line has weir_ms and baseline_ms where the throughput cases have *_rps.
  return {
    case: "h-kill-to-first-checkpoint-nats",
    kill,
    weir_ms: totalMs,
    baseline: "the configured heartbeat timeout (detection alone, by configuration)",
    baseline_ms: heartbeatTimeoutMs,
    ratio: Math.round((heartbeatTimeoutMs / totalMs) * 1000) / 1000,
    target: null,
    heartbeat_timeout_ms: heartbeatTimeoutMs,
    heartbeat_interval_ms: 1000,
    restart_strategy: "default with checkpointing: fixed-delay, 1000 ms",
    kill_to_first_completed_checkpoint_ms: totalMs,
    ...components,
    failure,
    restored_from_checkpoint: restoredFrom === undefined ? undefined : Number(restoredFrom),
    last_completed_before_kill: lastBeforeKill,
    redeployed_subtasks: phases.per_subtask,
    first_after_recovery: firstFigures,
  };
}

/** Whether `worker` logged a subtask of attempt `attempt` running. */
function runsSubtasks(worker: WeirProcess, attempt: number): boolean {
  return worker.logs().split("\n").some((line) => line.includes('"msg":"subtask running"') && line.includes(`"attempt":${attempt},`));
}

const SUMMARISED = ["detection_ms", "cancel_ms", "restart_delay_ms", "redeploy_restore_ms", "kill_to_running_ms", "first_trigger_wait_ms", "first_checkpoint_ms", "kill_to_first_completed_checkpoint_ms"] as const;

/** p50 and maximum of each component over the kills; weir_ms and the ratio are the p50's of kill → first completed checkpoint. */
function summary(results: readonly Record<string, unknown>[], heartbeatTimeoutMs: number): Record<string, unknown> {
  const figures: Record<string, { p50: number; max: number }> = {};
  for (const name of SUMMARISED) {
    const values = results.map((r) => Number(r[name])).sort((a, b) => a - b);
    figures[name] = { p50: values[Math.floor((values.length - 1) / 2)], max: values.at(-1)! };
  }
  const weirMs = figures.kill_to_first_completed_checkpoint_ms.p50;
  return { case: "h-kill-summary", kills: results.length, weir_ms: weirMs, baseline_ms: heartbeatTimeoutMs, ratio: Math.round((heartbeatTimeoutMs / weirMs) * 1000) / 1000, target: null, ...figures };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const heartbeatTimeoutMs = numberOption(args, "heartbeat-timeout", 10_000);
  const keys = scaled(numberOption(args, "keys", 1_000_000));
  const rate = numberOption(args, "rate", 500_000);
  const intervalMs = numberOption(args, "interval", 1000);
  const kills = numberOption(args, "kills", 1);
  const dir = mkdtempSync(join(tmpdir(), "weir-bench-h-"));
  const storage = pathToFileURL(join(dir, "checkpoints")).href;
  let server: NatsServerHandle | undefined;
  const processes: WeirProcess[] = [];
  let watchBus: NatsBus | undefined;
  let cancel: (() => void) | undefined;
  let ended: Promise<unknown> | undefined;
  try {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url, ["--heartbeat-timeout", String(heartbeatTimeoutMs)]));
    const workers = await Promise.all(["bench-h-w1", "bench-h-w2", "bench-h-w3"].map((id) => startWorkerProcess(server!.url, 1, id)));
    processes.push(...workers);

    const log = silentLogger();
    const jobArgs = keyedCountArgs({ keys, rate, parallelism: PARALLELISM, checkpointMs: intervalMs, storage });
    const env = new StreamExecutionEnvironment({
      executor: new RemoteExecutor({ servers: server.url, log }),
      artifact: { kind: "module", path: JOB, args: jobArgs, cwd: process.cwd() },
    });
    await keyedCount(env, jobArgs);
    watchBus = await NatsBus.connect({ servers: server.url, name: "bench-h-watch", log, metrics: new MetricRegistry() });
    const client = await env.executeAsync("bench-checkpoint-recovery");
    cancel = () => client.cancel();
    ended = client.result.catch(() => undefined);
    const statuses = new StatusLog();
    watchBus.subscribe(subjects.jobStatus(client.jobId), (data) => {
      const out = decode(data, ["job-status"]);
      if (out.ok) statuses.record(out.message.status, out.message.timestamp, out.message.error);
    });
    const tasks = new TaskStateLog();
    watchBus.subscribe(subjects.taskState(client.jobId), (data) => {
      const out = decode(data, ["task-state"]);
      if (out.ok) tasks.record(out.message.task, out.message.workerId, out.message.state, Date.now());
    });
    const watch = new CheckpointWatch(watchBus, client.jobId);
    await watchBus.flush();

    // The keyed state stops growing once every key has state: wait for a completed checkpoint as large as the one before it.
    // (Counts stay below 128 in this run, so a full state keeps the same size.)
    const before = await withTimeout(fullCheckpoint(watch), 90_000, "a checkpoint holding every key before the kill");
    const beforeFigures = checkpointFigures(before);
    const { state } = beforeFigures;
    process.stderr.write(`  before the kill: checkpoint ${before.checkpointId} took ${beforeFigures.total_ms} ms, ${(beforeFigures.bytes / 1e6).toFixed(1)} MB; keyed subtasks: sync ${state.sync_ms_max}, async ${state.async_ms_max}, alignment ${state.alignment_ms_max} ms (max)\n`);

    const results: Record<string, unknown>[] = [];
    for (let kill = 1; kill <= kills; kill++) {
      if (kill > 1) workers.push(await startWorkerProcess(server.url, 1, `bench-h-spare-${kill}`));
      const result = await killOnce({ kill, workers, statuses, tasks, watch, jobManager: processes[0], heartbeatTimeoutMs });
      results.push({ ...result, records: keys, checkpoint_interval_ms: intervalMs, rate_per_s: rate, before_kill: kill === 1 ? beforeFigures : undefined });
      process.stdout.write(`${JSON.stringify(results.at(-1))}\n`);
    }
    processes.push(...workers.slice(3));
    if (kills > 1) process.stdout.write(`${JSON.stringify(summary(results, heartbeatTimeoutMs))}\n`);
    watch.close();
  } finally {
    cancel?.();
    await ended;
    await watchBus?.close();
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
