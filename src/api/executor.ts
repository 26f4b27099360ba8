// How a built job runs: an executor takes the prepared job (graphs, collectors, artifact) and
// returns when it has finished. The embedded mini cluster and the NATS client implement it.

import type { JobArtifact, JobGraphSpec, JobStatus } from "../messages/schema.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import type { CollectedStream } from "./data-stream.ts";

export interface PreparedJob {
  jobGraph: JobGraphSpec;
  streamGraph: StreamGraph;
  collectors: ReadonlyMap<string, CollectedStream<unknown>>;
  /** Where workers find the code; absent when the job only exists in this process. */
  artifact?: JobArtifact;
}

export interface JobExecutionResult {
  jobId: string;
  jobName: string;
  status: JobStatus;
  durationMs: number;
}

export interface JobExecutor {
  execute(job: PreparedJob): Promise<JobExecutionResult>;
}

/** Thrown by execute() when the job failed or was canceled. */
export class JobExecutionError extends Error {
  constructor(readonly jobId: string, readonly status: JobStatus, cause: string | undefined) {
    super(`job ${jobId} ${status}${cause ? `: ${cause}` : ""}`);
    this.name = "JobExecutionError";
  }
}
