
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startJobManagerProcess, startNatsCluster, startWorkerProcess, type NatsClusterHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../../test/fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../../test/fixtures/running-counts.ts";
import { latestCheckpoint, startRun, until } from "../../test/fixtures/weir-run.ts";
import { createNetworkNamespace, startWeirInNamespace, type NetworkNamespace } from "../../test/fixtures/network-namespace.ts";
import { keepLogs, type LoggedProcess } from "./chaos-logs.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";

export type KillKind = "worker" | "nats-node" | "job-manager" | "network-cut";

/** The job manager's default heartbeat timeout: a cut longer than it gets the worker lost. */
const HEARTBEAT_TIMEOUT_MS = 10_000;

export interface ChaosOptions {
  /** Kills in this run. */
  kills: number;
  /** Which kinds to choose from (at random), or a fixed sequence to follow (cycled). */
  kinds: readonly KillKind[];
  sequence?: "random" | "cycle";
  seed: number;
  /** Records per second of the job's generator. */
  rate: number;
  /** Seconds of input per kill (default 8: a pause, the kill, the recovery); 10 s more on top. */
  secondsPerKill?: number;
  /**
   * Job managers (default 1; two or more run with --ha, and "job-manager" kills take the leader).
   * With "network-cut" among the kinds, the three workers run each in its own network namespace
   * (needs root), and a cut takes one's link down for longer than the heartbeat timeout, then heals it.
   */
  jobManagers?: number;
  /** Say what happens (to stderr). */
  progress?: (line: string) => void;
}

export interface ChaosResult {
  kills: Record<KillKind, number>;
  /** Job managers that exited on their own (not killed by the run), each started again as a supervisor would: their exit codes. */
  jobManagerExits: (number | null)[];
  recovered: number;
  recoveryMs: number[];
  events: number;
  lost: number;
  duplicated: number;
  exitCode: number | null;
  status: string;
  /** Where the processes' logs were kept: a run that did not finish, lost or duplicated, or saw a job manager exit. */
  logs?: string;
}

/** A small seeded generator (mulberry32): the same seed kills in the same order. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const random = seeded(options.seed);
  const say = options.progress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "weir-chaos-"));
  const checkpoints = join(dir, "checkpoints");
  const results = join(dir, "results.json");
  // Enough input to outlast the kills: a pause, the kill and the recovery each, plus a margin.
  const events = Math.ceil(options.rate * (options.kills * (options.secondsPerKill ?? 8) + 10));
  let cluster: NatsClusterHandle | undefined;
  const processes: WeirProcess[] = [];
  /** With cuts: each worker's network namespace (a fresh worker replacing a killed one starts in its namespace). */
  const namespaceOf = new Map<WeirProcess, NetworkNamespace>();
  const cuts = options.kinds.includes("network-cut");
  let run: ReturnType<typeof startRun> | undefined;
  /** Every process of the run by name, for the logs kept of a run that went wrong. */
  const logged: LoggedProcess[] = [];
  const named = (name: string, process: WeirProcess) => {
    logged.push({ name, logs: () => process.logs() });
    return process;
  };
  /** Set once the run has something worth reading in its logs; with what. */
  let keep: string | undefined;
  let ending = false;
  /** Job managers the run killed itself: any other exit is the process's own. */
  const killedJobManagers = new Set<WeirProcess>();
  const jobManagerExits: (number | null)[] = [];
  try {
    cluster = await startNatsCluster(3, cuts ? { host: "0.0.0.0" } : {});
    for (const [i, node] of cluster.nodes.entries()) logged.push({ name: `nats-n${i + 1}`, logs: () => node.logs() });
    const ha = (options.jobManagers ?? 1) > 1 ? ["--ha"] : [];
    const jobManagers: WeirProcess[] = [];
    // A supervisor: a job manager that exits on its own is counted and started again.
    const startJobManager = async (): Promise<WeirProcess> => {
      const jm = named(`jobmanager-${jobManagers.length + 1}`, await startJobManagerProcess(cluster!.urls, ha));
      jobManagers.push(jm);
      processes.push(jm);
      jm.child.once("exit", (code, signal) => {
        if (ending || killedJobManagers.has(jm)) return;
        jobManagerExits.push(code);
        say(`a job manager exited on its own (code ${code ?? signal}): ${lastErrorOf(jm)}; starting another`);
        startJobManager().catch((error: Error) => say(`the job manager to replace it did not start: ${firstLine(error)}`));
      });
      return jm;
    };
    for (let i = 0; i < (options.jobManagers ?? 1); i++) await startJobManager();
    if (ha.length > 0) await until("a leading job manager", () => leaderOf(jobManagers) !== undefined, 30_000);
    const workers = await Promise.all(
      [1, 2, 3].map(async (i) => {
        if (!cuts) return named(`worker-chaos-${i}`, await startWorkerProcess(cluster!.urls, 2, `chaos-${i}`));
        const namespace = createNetworkNamespace(200 + i);
        const worker = named(`worker-chaos-${i}`, await startCutOffWorker(cluster!, namespace, `chaos-${i}`));
        namespaceOf.set(worker, namespace);
        return worker;
      }),
    );
    processes.push(...workers);
    const jobArgs = ["--checkpoints", checkpoints, "--results", results, "--events", String(events), "--rate", String(options.rate), "--restart-attempts", String(options.kills * 4 + 10)];
    run = startRun([JOB, "--nats", cluster.urls, "--", ...jobArgs]);
    const started = run;
    logged.push({ name: "weir-run", logs: () => started.stderr() });
    const jobId = await run.jobId;
    const finished = run.exit;
    let ended = false;
    void finished.then(() => (ended = true));
    await until("the first completed checkpoint", () => latestCheckpoint(checkpoints, jobId) > 0, 60_000);

    const kills: Record<KillKind, number> = { worker: 0, "nats-node": 0, "job-manager": 0, "network-cut": 0 };
    const recoveryMs: number[] = [];
    let spares = 0;
    /** A worker's link cut off: it heals once the job has recovered and the worker was lost. */
    let cutOff: { namespace: NetworkNamespace; healAt: number } | undefined;
    for (let k = 0; k < options.kills && !ended; k++) {
      await sleep(1000 + random() * 2000);
      if (ended) break;
      const kind = options.sequence === "cycle" ? options.kinds[k % options.kinds.length] : options.kinds[Math.floor(random() * options.kinds.length)];
      const before = latestCheckpoint(checkpoints, jobId);
      const killedAt = Date.now();
      if (kind === "worker") {
        const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
        const victim = live[Math.floor(random() * live.length)];
        await victim.stop("SIGKILL");
        say(`kill ${k + 1}: SIGKILL to a worker`);
        const namespace = namespaceOf.get(victim);
        const id = `chaos-spare-${++spares}`;
        const spare = await (namespace ? startCutOffWorker(cluster, namespace, id) : startWorkerProcess(cluster.urls, 2, id)).catch((error: Error) => say(`kill ${k + 1}: a fresh worker did not start: ${firstLine(error)}`));
        if (spare && namespace) namespaceOf.set(spare, namespace);
        if (spare) {
          named(`worker-${id}`, spare);
          workers.push(spare);
          processes.push(spare);
        }
      } else if (kind === "job-manager") {
        await until("a leading job manager", () => leaderOf(jobManagers) !== undefined, 60_000);
        const leader = leaderOf(jobManagers)!;
        killedJobManagers.add(leader);
        await leader.stop("SIGKILL");
        say(`kill ${k + 1}: SIGKILL to the leading job manager`);
        await startJobManager().catch((error: Error) => say(`kill ${k + 1}: a fresh standby did not start: ${firstLine(error)}`));
      } else if (kind === "network-cut") {
        const live = [...namespaceOf].filter(([w]) => w.child.exitCode === null && w.child.signalCode === null).map(([, namespace]) => namespace);
        const victim = live[Math.floor(random() * live.length)];
        if (!victim) {
          say(`kill ${k + 1}: no worker in a network namespace is left to cut`);
          continue;
        }
        victim.cut();
        say(`kill ${k + 1}: network cut of a worker (${victim.name}), healed after the next checkpoint and at least the heartbeat timeout`);
        cutOff = { namespace: victim, healAt: Date.now() + HEARTBEAT_TIMEOUT_MS + 2000 };
      } else {
        const node = cluster.nodes[Math.floor(random() * cluster.nodes.length)];
        await node.kill();
        say(`kill ${k + 1}: SIGKILL to NATS node ${node.url}`);
        await sleep(1000 + random() * 2000);
        await node.restart();
      }
      kills[kind] += 1;
      try {
        await until("a checkpoint after the kill", () => ended || latestCheckpoint(checkpoints, jobId) > before, 90_000);
      } catch (error) {
        cutOff?.namespace.heal();
        const recent = linesOf(leaderOf(jobManagers) ?? jobManagers[0], jobId);
        say(`kill ${k + 1}: ${(error as Error).message}; the job manager's last lines of the job:\n${recent.join("\n")}`);
        keep = `kill ${k + 1} (${kind}) was not followed by a checkpoint within 90 s`;
        break;
      }
      if (latestCheckpoint(checkpoints, jobId) > before) recoveryMs.push(Date.now() - killedAt);
      if (cutOff) {
        await sleep(cutOff.healAt - Date.now());
        cutOff.namespace.heal();
        cutOff = undefined;
      }
    }
    const exitCode = await finished;
    const status = /job \S+ (finished|failed|canceled)/.exec(run.stderr())?.[1] ?? "unknown";
    if (status !== "finished") {
      say(`the job ended ${status}: ${run.stderr().split("\n").filter((line) => !line.startsWith("{")).slice(-6).join("\n")}`);
      for (const [i, jm] of jobManagers.entries()) say(`job manager ${i + 1}'s last lines of the job:\n${linesOf(jm, jobId).join("\n")}`);
    }
    const collected = existsSync(results) ? (JSON.parse(readFileSync(results, "utf8")) as KeyCount[]) : [];
    const { lost, duplicated } = tally(collected, totalsPerKey(range(events), CHECKPOINTED_COUNTS.keys));
    const trouble = [keep, status === "finished" ? undefined : `the job ended ${status}`, lost + duplicated > 0 ? `lost ${lost}, duplicated ${duplicated}` : undefined, jobManagerExits.length > 0 ? `job managers exited on their own: codes ${jobManagerExits.join(", ")}` : undefined].filter((t) => t !== undefined);
    keep = trouble.length > 0 ? trouble.join("; ") : undefined;
    const result: ChaosResult = { kills, jobManagerExits, recovered: recoveryMs.length, recoveryMs, events, lost, duplicated, exitCode, status };
    if (keep) result.logs = keepLogs(logged, `seed ${options.seed}: ${keep}`);
    if (result.logs) say(`logs kept in ${result.logs} (${keep})`);
    return result;
  } catch (error) {
    say(`logs kept in ${keepLogs(logged, `seed ${options.seed}: the run failed: ${(error as Error).stack}`)}`);
    throw error;
  } finally {
    ending = true;
    run?.kill();
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    await cluster?.stop();
    for (const namespace of new Set(namespaceOf.values())) namespace.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A worker in `namespace`, reaching the cluster through its veth link. */
function startCutOffWorker(cluster: NatsClusterHandle, namespace: NetworkNamespace, id: string): Promise<WeirProcess> {
  const urls = cluster.nodes.map((node) => `nats://${namespace.hostIp}:${node.port}`).join(",");
  return startWeirInNamespace(namespace, ["worker", "--nats", urls, "--slots", "2", "--id", id], "worker registered");
}

/** The last lines of `process`'s log that name the job or are warnings and errors. */
function linesOf(process: WeirProcess, jobId: string): string[] {
  return process
    .logs()
    .split("\n")
    .filter((line) => line.includes(jobId) || /"level":(40|50|60)/.test(line))
    .slice(-12);
}

/** The last thing a process said before it exited on its own: its last error line or stderr line. */
function lastErrorOf(process: WeirProcess): string {
  const lines = process.logs().split("\n").filter((line) => line.trim() !== "");
  return (lines.filter((line) => !line.startsWith("{") || /"level":(50|60)/.test(line)).at(-1) ?? lines.at(-1) ?? "").slice(0, 400);
}

function firstLine(error: Error): string {
  return error.message.split("\n").slice(0, 2).join(" ");
}

/** The live job manager whose last word on leadership was that it leads (the only one without --ha). */
function leaderOf(jobManagers: readonly WeirProcess[]): WeirProcess | undefined {
  const live = jobManagers.filter((jm) => jm.child.exitCode === null && jm.child.signalCode === null);
  if (jobManagers.length === 1) return live[0];
  return live.find((jm) => {
    const words = jm.logs().match(/"msg":"(leading \(epoch \d+\)[^"]*|stepped down[^"]*)"/g) ?? [];
    return words.at(-1)?.includes("leading") === true;
  });
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
