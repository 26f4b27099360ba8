// `weir run <job>`: builds the job from its module and runs it, embedded or on a NATS cluster.
// Attached to a cluster it reports the job's status as it runs and leaves the job running on
// Ctrl-C; detached it prints the job's id and exits once the job manager has accepted it.

import { basename, resolve } from "node:path";
import { existsSync } from "node:fs";
import { StreamExecutionEnvironment } from "../cluster/environment.ts";
import { JobExecutionError, type JobClient, type JobExecutor } from "../api/executor.ts";
import { importJobDefinition } from "../cluster/job-loader.ts";
import { EmbeddedExecutor } from "../cluster/mini-cluster.ts";
import { RemoteExecutor } from "../cluster/remote-executor.ts";
import { TraceRecorder } from "../bus/trace.ts";
import { subjects } from "../bus/subjects.ts";
import { createRootLogger, type LogFormat } from "../observability/logger.ts";
import { systemClock } from "../core/clock.ts";
import { NoRespondersError, RequestTimeoutError, type Bus } from "../bus/bus.ts";
import { busClusterQueries } from "../cluster/bus-cluster-queries.ts";
import { startProgressReporter } from "./run-status.ts";
import { watchJobManager } from "./job-manager-watch.ts";
import type { NatsLogin } from "../bus/nats-login.ts";

/** The exit code of a command interrupted by Ctrl-C (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

export interface RunOptions {
  parallelism?: number;
  nats?: string;
  /** With --nats: credentials and TLS for the NATS server. */
  login?: NatsLogin;
  trace?: string;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  logLevel: string;
  logFormat?: LogFormat;
  /** With --nats: print the job id once accepted and exit, leaving the job to the cluster. */
  detached?: boolean;
  /** Seconds between status lines when stderr is not a terminal (0: none). */
  progressInterval?: number;
}

export async function runCommand(job: string, args: string[], options: RunOptions): Promise<void> {
  const path = resolve(job);
  if (!existsSync(path)) throw new Error(`job module ${job} not found`);
  const log = createRootLogger({ name: "weir-run", level: options.logLevel, format: options.logFormat });
  const recorder = options.trace ? new TraceRecorder(systemClock, resolve(options.trace)) : undefined;
  const artifact = { kind: "module" as const, path, args, cwd: process.cwd(), parallelism: options.parallelism };

  if (options.detached && !options.nats) throw new Error("--detached goes with --nats <url>: an embedded job runs inside this process and ends with it");
  let executor: JobExecutor;
  let clusterBus: Bus | undefined;
  if (options.nats) {
    const remote = new RemoteExecutor({
      servers: options.nats,
      login: options.login,
      log,
      onAccepted: (jobId) => {
        log.info({ jobId }, "job accepted");
        process.stderr.write(`job ${jobId} submitted\n`);
      },
      // On a terminal the status line may be showing: the progress line replaces it.
      onProgress: (jobId, status, detail) => process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}job ${jobId} ${status}: ${detail}\n`),
      wrapBus: (bus) => {
        // Status queries go on the bus itself: they are not part of the job's trace.
        clusterBus = bus;
        if (!recorder) return bus;
        // Record the whole bus, not only this client's part of it.
        bus.subscribe(subjects.everything(), (data, subject, reply) => recorder.record("deliver", "bus", subject, data, reply));
        return recorder.wrap(bus, "client");
      },
    });
    // The workers run the bundle: bundling first names a module that does not parse with esbuild's error.
    await remote.bundle(path);
    executor = remote;
  } else {
    executor = new EmbeddedExecutor({ log, wrapBus: recorder ? (bus, actor) => recorder.wrap(bus, actor) : undefined });
  }

  const definition = await importJobDefinition(path);
  if (options.allowNonRestoredState && !options.fromSavepoint) throw new Error("--allow-non-restored-state goes with --from-savepoint <path>");
  const restoreFrom = options.fromSavepoint ? { location: /^[a-z-]+:\/\//.test(options.fromSavepoint) ? options.fromSavepoint : resolve(options.fromSavepoint), allowNonRestoredState: options.allowNonRestoredState ?? false } : undefined;
  const env = new StreamExecutionEnvironment({ executor, cwd: process.cwd(), parallelism: options.parallelism, artifact, restoreFrom });
  await definition(env, args);
  const jobName = basename(path).replace(/\.[cm]?[jt]s$/, "");
  try {
    const client = await submit(env, jobName, options.nats);
    if (options.detached) {
      process.stdout.write(`${client.jobId}\n`, () => process.exit(0));
      return;
    }
    const stopFollowing = options.nats && clusterBus ? follow(clusterBus, client.jobId, options.nats, options.progressInterval ?? 10) : () => undefined;
    const result = await client.result.finally(stopFollowing);
    log.info({ jobId: result.jobId, durationMs: result.durationMs }, "job finished");
    process.stderr.write(`job ${result.jobId} finished in ${result.durationMs} ms\n`);
  } catch (error) {
    if (error instanceof JobExecutionError) {
      process.stderr.write(`weir: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

async function submit(env: StreamExecutionEnvironment, jobName: string, nats: string | undefined): Promise<JobClient> {
  try {
    return await env.executeAsync(jobName);
  } catch (error) {
    if (nats && (error instanceof NoRespondersError || error instanceof RequestTimeoutError)) {
      throw new Error(`no job manager answered on ${nats}: start one with \`weir jobmanager --nats ${nats}\``);
    }
    throw error;
  }
}

/**
 * While an attached job runs: status lines (in place on a terminal, every second; else every
 * `intervalS`), and Ctrl-C leaves the job running. Returns what stops both.
 */
function follow(bus: Bus, jobId: string, nats: string, intervalS: number): () => void {
  const tty = process.stderr.isTTY === true;
  const queries = busClusterQueries(bus);
  const reporter = intervalS > 0 ? startProgressReporter({ fetchJob: () => queries.job(jobId), tty, intervalMs: tty ? 1000 : intervalS * 1000, columns: process.stderr.columns, write: (text) => process.stderr.write(text) }) : undefined;
  const onInterrupt = () => {
    reporter?.stop();
    process.stderr.write(`the job ${jobId} keeps running on the cluster; cancel it with \`weir cancel ${jobId} --nats ${nats}\`\n`, () => process.exit(EXIT_INTERRUPTED));
  };
  process.once("SIGINT", onInterrupt);
  // Noticed within seconds: a job manager that stopped answering, and one that restarted without the job.
  const watch = watchJobManager({
    jobId,
    nats,
    fetchJob: () => queries.job(jobId),
    intervalMs: 2000,
    write: (line) => process.stderr.write(`${tty ? "\r\x1b[K" : ""}${line}`),
    onJobForgotten: () => {
      reporter?.stop();
      process.stderr.write(`weir: job ${jobId} was lost with its job manager\n`, () => process.exit(1));
    },
  });
  return () => {
    reporter?.stop();
    watch.stop();
    process.off("SIGINT", onInterrupt);
  };
}
