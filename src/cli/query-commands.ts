// `weir list`, `weir info`, and cancel/savepoint/stop through the job manager: they ask the
// cluster's monitor and print for people (or JSON with --json). An unknown job exits with code 2.

import { resolve } from "node:path";
import { NatsBus } from "../bus/nats-bus.ts";
import { busClusterQueries } from "../cluster/bus-cluster-queries.ts";
import { UnknownJobError, type ClusterQueries } from "../cluster/cluster-queries.ts";
import { createRootLogger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { formatJobDetails, formatJobList } from "./format.ts";
import { isSubjectToken } from "../bus/subjects.ts";
import type { NatsLogin } from "../bus/nats-login.ts";

/** Where the cluster is and how to log in to it. */
interface ClusterOptions {
  nats: string;
  login?: NatsLogin;
}

/** Exit codes: 1 a command or job failed, 2 the job is unknown, 3 a long-lived process can no longer serve. */
export const EXIT_UNKNOWN_JOB = 2;

/** The bus queries with what only they offer (rescale). */
function busQueriesOf(queries: ClusterQueries): ReturnType<typeof busClusterQueries> {
  return queries as ReturnType<typeof busClusterQueries>;
}

async function withQueries<T>({ nats, login }: ClusterOptions, name: string, fn: (queries: ClusterQueries) => Promise<T>, jobId?: string): Promise<T | undefined> {
  // Not even a possible id: said at once, without asking the cluster.
  if (jobId !== undefined && !isSubjectToken(jobId)) {
    process.stderr.write(`weir: ${JSON.stringify(jobId)} is not a job id (ids are letters, digits, '-' and '_'; \`weir list\` shows the jobs)\n`);
    process.exitCode = EXIT_UNKNOWN_JOB;
    return undefined;
  }
  const log = createRootLogger({ name, level: process.env.WEIR_LOG_LEVEL ?? "warn" });
  const bus = await NatsBus.connect({ servers: nats, login, name, log, metrics: new MetricRegistry() });
  try {
    return await fn(busClusterQueries(bus));
  } catch (error) {
    if (!(error instanceof UnknownJobError)) throw error;
    process.stderr.write(`weir: ${error.message}\n`);
    process.exitCode = EXIT_UNKNOWN_JOB;
    return undefined;
  } finally {
    await bus.close();
  }
}

export async function listCommand(options: ClusterOptions & { json?: boolean }): Promise<void> {
  const jobs = await withQueries(options, "weir-list", (q) => q.jobs());
  if (jobs === undefined) return;
  process.stdout.write(options.json ? `${JSON.stringify(jobs, null, 2)}\n` : formatJobList(jobs, Date.now()));
}

export async function infoCommand(jobId: string, options: ClusterOptions & { json?: boolean }): Promise<void> {
  const job = await withQueries(options, "weir-info", (q) => q.job(jobId), jobId);
  if (job === undefined) return;
  process.stdout.write(options.json ? `${JSON.stringify(job, null, 2)}\n` : formatJobDetails(job));
}

export async function cancelCommand(jobId: string, options: ClusterOptions): Promise<void> {
  const done = await withQueries(options, "weir-cancel", async (q) => {
    await q.cancel(jobId);
    return true;
  }, jobId);
  if (done) process.stderr.write(`job ${jobId} is canceling\n`);
}

export async function savepointCommand(jobId: string, dir: string, options: ClusterOptions): Promise<void> {
  const location = await withQueries(options, "weir-savepoint", (q) => q.savepoint(jobId, resolve(dir)), jobId);
  if (location !== undefined) process.stdout.write(`${location}\n`);
}

export async function rescaleCommand(jobId: string, options: ClusterOptions & { parallelism: number; savepointDir?: string }): Promise<void> {
  const savepointDir = options.savepointDir === undefined ? undefined : resolve(options.savepointDir);
  const parallelism = await withQueries(options, "weir-rescale", (q) => busQueriesOf(q).rescale(jobId, options.parallelism, savepointDir), jobId);
  if (parallelism !== undefined) process.stderr.write(`job ${jobId} runs at parallelism ${parallelism}\n`);
}

export async function stopCommand(jobId: string, options: ClusterOptions & { savepoint: string; drain?: boolean }): Promise<void> {
  const location = await withQueries(options, "weir-stop", (q) => q.savepoint(jobId, resolve(options.savepoint), options.drain ? "drain" : "terminate"), jobId);
  if (location === undefined) return;
  process.stdout.write(`${location}\n`);
  process.stderr.write(`job ${jobId} is stopping after its savepoint\n`);
}
