// How a built job runs: an executor takes the prepared job (graphs, collectors, artifact) and
// returns when it has finished. The embedded mini cluster and the NATS client implement it.

import type { JobGraphSpec, JobStatus, RestoreSettings } from "../messages/schema.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import type { CollectedStream } from "./data-stream.ts";

/**
 * A job module on the submitting machine, as `weir run` names it. Submitted to a cluster, it is
 * bundled with its local imports into an artifact that workers fetch by digest.
 */
export interface JobModule {
  kind: "module";
  /** The module's absolute path. */
  path: string;
  /** The arguments its definition is called with. */
  args: string[];
  /** The directory relative paths given to the job resolve against (env.resolvePath). */
  cwd: string;
  parallelism?: number;
}

export interface PreparedJob {
  jobGraph: JobGraphSpec;
  streamGraph: StreamGraph;
  collectors: ReadonlyMap<string, CollectedStream<unknown>>;
  /** The job's module; absent when the job only exists in this process. */
  artifact?: JobModule;
  /** The savepoint or retained checkpoint the job starts from. */
  restoreFrom?: RestoreSettings;
}

/**
 * A submitted job (Flink's JobClient): follow it, take savepoints, stop or cancel it.
 * @example
 * const client = await env.executeAsync();
 * const savepoint = await client.stopWithSavepoint("/var/weir/savepoints");
 * await client.result;
 */
export interface JobClient {
  readonly jobId: string;
  /** Resolves when the job has finished; rejects with JobExecutionError if it failed or was canceled. */
  readonly result: Promise<JobExecutionResult>;
  /** Takes a savepoint into a new folder under `dir` (absolute, reachable by every worker); resolves with its location. */
  triggerSavepoint(dir: string): Promise<string>;
  /** Takes a savepoint and stops the job: sources end after the barrier, with a final watermark when `drain`. */
  stopWithSavepoint(dir: string, options?: { drain?: boolean }): Promise<string>;
  /** Asks the job to cancel; resolves once its job master has begun, rejects if the job is not running. */
  cancel(): Promise<void>;
}

export interface JobExecutionResult {
  jobId: string;
  jobName: string;
  status: JobStatus;
  durationMs: number;
}

export interface JobExecutor {
  execute(job: PreparedJob): Promise<JobExecutionResult>;
  /** Submits the job and returns at once with a client for it. */
  executeAsync(job: PreparedJob): Promise<JobClient>;
}

/** Thrown by execute() when the job failed or was canceled. */
export class JobExecutionError extends Error {
  constructor(readonly jobId: string, readonly status: JobStatus, cause: string | undefined) {
    super(`job ${jobId} ${status}${cause ? `: ${cause}` : ""}`);
    this.name = "JobExecutionError";
  }
}
