// `weir jobmanager` (with its REST API and dashboard) and `weir worker`: long-lived processes on a
// NATS server. They reconnect forever and stop cleanly on SIGINT/SIGTERM.

import { randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { NatsBus } from "../bus/nats-bus.ts";
import { busClusterQueries } from "../cluster/bus-cluster-queries.ts";
import { createJobLoader } from "../cluster/job-loader.ts";
import { ArtifactCache } from "../cluster/artifact-cache.ts";
import { ArtifactStore } from "../cluster/artifact-store.ts";
import { startJobManager, type JobManagerOptions } from "../cluster/job-manager.ts";
import { startHighlyAvailableJobManager, type HighlyAvailableJobManager } from "../cluster/ha-job-manager.ts";
import type { ActorDeps } from "../actors/actor-deps.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { hostname } from "node:os";
import { leaseTimingProblems } from "../coordinator/leader-lease.ts";
import { startWorker } from "../cluster/task-manager.ts";
import type { JobLoader } from "../actors/subtask.ts";
import { createRootLogger, type Logger, type LogFormat } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { systemClock } from "../core/clock.ts";
import { isSubjectToken } from "../bus/subjects.ts";
import { PrometheusExporter } from "../observability/prometheus.ts";
import { startMetricsServer } from "../observability/metrics-server.ts";
import { taskGauges } from "../cluster/task-gauges.ts";
import { clusterGauges } from "../cluster/cluster-gauges.ts";
import { openKvJobHistory } from "../cluster/kv-job-history.ts";
import { startRestServer } from "../rest/rest-server.ts";
import type { DeafCause } from "../bus/nats-bus.ts";
import type { NatsLogin } from "../bus/nats-login.ts";
import { EXIT_NATS_REFUSED } from "./nats-login-options.ts";

/**
 * A long-lived process that can no longer serve exits (code 3), so a supervisor can restart it;
 * one the NATS server refused, or that went past its subscription limit, exits with code 4: a
 * restart with the same credentials and limits cannot help.
 */
function exitWhenDeaf(role: "jobmanager" | "worker"): (reason: string, cause: DeafCause) => void {
  return (reason, cause) => {
    if (cause === "refused") {
      process.stderr.write(`weir ${role}: ${reason}; it needs the login of the NATS user for ${role === "worker" ? "workers" : "job managers"} (docs/security.md)\n`);
      process.exit(EXIT_NATS_REFUSED);
    }
    if (cause === "limit") {
      process.stderr.write(`weir ${role}: ${reason}; raise max_subscriptions in the NATS server's configuration (or the account's or user's limit)${role === "worker" ? ", or give this worker fewer slots" : ""}\n`);
      process.exit(EXIT_NATS_REFUSED);
    }
    process.stderr.write(`weir ${role}: ${reason}; exiting so that a supervisor can restart it\n`);
    process.exit(3);
  };
}

/** The actor that serves the process's endpoints failed: exits (code 3) like a deaf process. */
function exitOnActorFailure(role: string): (actor: string, error: unknown) => void {
  return (actor, error) => {
    process.stderr.write(`weir ${role}: the ${actor} failed (${error instanceof Error ? error.message : String(error)}); exiting so that a supervisor can restart it\n`);
    process.exit(3);
  };
}

function onShutdown(log: Logger, role: string, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${role} stopping`);
    stop().finally(() => {
      log.info(`${role} stopped`);
      process.exit(0);
    });
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

export interface JobManagerCommandOptions {
  nats: string;
  login?: NatsLogin;
  heartbeatTimeout: number;
  probeInterval: number;
  slotTimeout: number;
  artifactGrace: number;
  artifactCache: string;
  restPort: number;
  restHost: string;
  restToken?: string;
  savepointDir?: string;
  /** One of several job managers: leader election and job takeover (docs/cluster.md). */
  ha?: boolean;
  /** Every job runs at the parallelism of the slots there are (docs/cluster.md). */
  reactive?: boolean;
  leaseTtl?: number;
  logLevel: string;
  logFormat?: LogFormat;
}

export async function jobManagerCommand(options: JobManagerCommandOptions): Promise<void> {
  const log = createRootLogger({ name: "weir-jobmanager", level: options.logLevel, format: options.logFormat });
  const metrics = new MetricRegistry();
  const bus = await NatsBus.connect({ servers: options.nats, login: options.login, name: "weir-jobmanager", log, metrics, onDeaf: exitWhenDeaf("jobmanager") });
  // Ended jobs are kept in a JetStream bucket when the server has JetStream; else in memory only.
  const jobHistory = await openKvJobHistory(bus.connection, log, metrics).catch((error: Error) => {
    log.warn({ err: error }, "no JetStream for the job history: ended jobs are kept in memory only");
    return undefined;
  });
  const deps = { bus, clock: systemClock, log, metrics, nats: bus.connection };
  const jobManagerOptions = { heartbeatTimeoutMs: options.heartbeatTimeout, probeIntervalMs: options.probeInterval, slotRequestTimeoutMs: options.slotTimeout, artifactGraceMs: options.artifactGrace, reactive: options.reactive, loadJob: artifactLoader(bus, options.artifactCache, metrics, log, "the job manager"), onFailure: exitOnActorFailure("jobmanager"), jobHistory };
  const jobManager = options.ha ? await startStandingBy(deps, jobManagerOptions, options.leaseTtl ?? 3000) : startJobManager(deps, jobManagerOptions);
  await bus.flush();
  const token = options.restToken ?? process.env.WEIR_REST_TOKEN ?? randomBytes(18).toString("base64url");
  // Its counters, and gauges of the cluster (workers, slots, jobs) from its monitor's view.
  const exporter = new PrometheusExporter(metrics, () => {
    const view = jobManager.view();
    return view ? clusterGauges(view, systemClock.now()) : [];
  });
  const rest = await startRestServer({
    queries: busClusterQueries(bus),
    host: options.restHost,
    port: options.restPort,
    token,
    savepointDir: options.savepointDir === undefined ? undefined : resolve(options.savepointDir),
    metricsText: () => exporter.text(),
    log,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    throw new Error(`--rest-port ${options.restPort}: ${options.restHost}:${options.restPort} is in use; pass another port (0 picks a free one)`);
  });
  // The one line that says where the dashboard is, with the token its buttons send.
  log.info({ url: rest.url }, `dashboard and REST API at ${rest.url}/#token=${encodeURIComponent(token)}`);
  log.info({ nats: options.nats, reactive: options.reactive === true }, "job manager ready");
  onShutdown(log, "job manager", async () => {
    await rest.close();
    await jobManager.stop();
    await bus.close();
  });
}

/** How long `--ha` keeps trying when JetStream does not answer in time (a cluster may be electing its leaders). */
const HA_START_PATIENCE_MS = 60_000;

/** `--ha`: leader election over the bus's JetStream; leads or stands by, and says which. */
async function startStandingBy(deps: ActorDeps & { nats: NatsConnection }, options: JobManagerOptions, leaseTtl: number): Promise<HighlyAvailableJobManager> {
  const holder = `${hostname()}:${process.pid}`;
  const timings = { ttlMs: leaseTtl, renewEveryMs: Math.max(1, Math.floor(leaseTtl / 3)), retryEveryMs: Math.max(1, Math.floor(leaseTtl / 6)) };
  const problems = leaseTimingProblems(timings);
  if (problems.length > 0 || leaseTtl < 100) throw new Error(`--lease-ttl ${leaseTtl}: give at least 100 ms (${problems.join("; ") || "shorter leases are lost to any pause"})`);
  const start = () =>
    startHighlyAvailableJobManager(deps, options, {
      nats: deps.nats,
      holder,
      timings,
      onLeadership: (change) =>
        change.leading
          ? deps.log.info({ epoch: change.epoch, takenOver: change.takenOver }, `leading (epoch ${change.epoch}); took over ${change.takenOver} job(s)`)
          : deps.log.warn({ epoch: change.epoch, reason: change.reason }, "stepped down; standing by"),
    });
  const giveUpAt = deps.clock.now() + HA_START_PATIENCE_MS;
  let jobManager: HighlyAvailableJobManager | undefined;
  while (!jobManager) {
    try {
      jobManager = await start();
    } catch (error) {
      const message = (error as Error).message;
      // JetStream that only answers late (a cluster electing leaders after a server came back) is waited for; none at all is not.
      if (!/timeout/i.test(message) || deps.clock.now() >= giveUpAt) throw new Error(`--ha needs JetStream on the NATS server (nats-server -js) for its lease and job records: ${message}`);
      deps.log.warn({ err: error }, "JetStream did not answer in time; trying again");
    }
  }
  if (jobManager.epoch() === undefined) deps.log.info({ holder }, "standing by: another job manager leads, or the lease is being acquired");
  return jobManager;
}

/** Where a worker keeps fetched job artifacts unless told: in the user's cache directory, not a shared one (it imports what it finds there). */
export function defaultArtifactCache(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "weir", "artifacts");
}

/**
 * What loads a submitted job's code in this process: its artifact, fetched by digest from the
 * artifact bucket, checked and kept in `dir`. A worker loads it to run subtasks, the job manager
 * to create the split enumerators of its sources.
 */
function artifactLoader(bus: NatsBus, dir: string, metrics: MetricRegistry, log: Logger, holder: string): JobLoader {
  const artifacts = new ArtifactCache({ dir: resolve(dir), source: () => ArtifactStore.open(bus.connection, "existing"), metrics, log, holder });
  return createJobLoader(new Map(), artifacts);
}

export async function workerCommand(options: { nats: string; login?: NatsLogin; slots: number; id?: string; artifactCache: string; logLevel: string; logFormat?: LogFormat; metricsPort?: number; metricsHost: string }): Promise<void> {
  if (options.id !== undefined && !isSubjectToken(options.id)) throw new Error(`--id ${JSON.stringify(options.id)}: use only letters, digits, '-' and '_'`);
  const log = createRootLogger({ name: "weir-worker", level: options.logLevel, format: options.logFormat });
  const metrics = new MetricRegistry();
  const bus = await NatsBus.connect({ servers: options.nats, login: options.login, name: `weir-worker-${options.id ?? process.pid}`, log, metrics, onDeaf: exitWhenDeaf("worker") });
  const worker = startWorker({ bus, clock: systemClock, log, metrics, nats: bus.connection }, { slots: options.slots, workerId: options.id, loadJob: artifactLoader(bus, options.artifactCache, metrics, log, "this worker"), onFailure: (error) => exitOnActorFailure("worker")("worker actor", error) });
  log.info({ workerId: worker.workerId, slots: options.slots }, "worker started");
  const exporter = new PrometheusExporter(metrics, () => taskGauges(worker.samples()));
  const metricsServer = options.metricsPort === undefined ? undefined : await startMetricsServer(exporter, { host: options.metricsHost, port: options.metricsPort });
  if (metricsServer) log.info({ url: metricsServer.url }, `metrics at ${metricsServer.url}`);
  onShutdown(log, "worker", async () => {
    await metricsServer?.close();
    await worker.stop();
    await bus.close();
  });
}

