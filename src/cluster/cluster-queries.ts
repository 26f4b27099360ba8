// What a client (the REST API, the CLI) can ask a running cluster and tell it to do. Implemented
// over the bus by request/reply to the dispatcher, the resource manager and the job masters.

import type { JobDetails, JobSummary, Overview, WorkerView } from "../observability/views.ts";

/** The job is not known to the cluster (never submitted, or its history is gone). */
export class UnknownJobError extends Error {
  constructor(readonly jobId: string) {
    super(`no job ${jobId} is known to the job manager (\`weir list\` shows the jobs)`);
    this.name = "UnknownJobError";
  }
}

export interface ClusterQueries {
  overview(): Promise<Overview>;
  workers(): Promise<WorkerView[]>;
  /** Running jobs and the recently ended ones, newest first. */
  jobs(): Promise<JobSummary[]>;
  /** Rejects with UnknownJobError for a job the cluster does not know. */
  job(jobId: string): Promise<JobDetails>;
  /** Rejects with UnknownJobError, or with an Error saying why the job cannot be canceled. */
  cancel(jobId: string): Promise<void>;
  /** A savepoint under `dir` (absolute); with `stop` the job ends after it. Resolves with its location. */
  savepoint(jobId: string, dir: string, stop?: "drain" | "terminate"): Promise<string>;
}
