// ClusterQueries over the bus: questions go to the job manager's monitor, cancel and savepoint
// requests to the job's master; a job that no master answers for is looked up, so the caller
// learns whether it never existed or has already ended.

import { NoRespondersError, RequestTimeoutError, type Bus } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { decode, encode } from "../messages/codec.ts";
import { hasEnded, type MonitorQuery } from "../messages/schema.ts";
import type { JobDetails, JobSummary, Overview, WorkerView } from "../observability/views.ts";
import { UnknownJobError, type ClusterQueries } from "./cluster-queries.ts";
import { cancelJob, rescaleJob } from "./job-client.ts";
import { requestSavepoint } from "./savepoint-request.ts";

export class NoJobManagerError extends Error {
  constructor() {
    super("no job manager answered: is `weir jobmanager` running against this NATS server?");
    this.name = "NoJobManagerError";
  }
}

export function busClusterQueries(bus: Bus, timeoutMs = 5000): ClusterQueries & { rescale(jobId: string, parallelism: number, savepointDir?: string): Promise<number> } {
  const ask = async <T>(what: MonitorQuery["what"], jobId?: string): Promise<T> => {
    let bytes: Uint8Array;
    try {
      bytes = await bus.request(subjects.monitorQuery(), encode({ type: "monitor-query", what, jobId }), { timeoutMs });
    } catch (error) {
      if (error instanceof NoRespondersError) throw new NoJobManagerError();
      if (error instanceof RequestTimeoutError) throw new Error(`the job manager did not answer within ${timeoutMs} ms (${error.message})`);
      // E.g. the NATS server refused the request: said as it is.
      throw error;
    }
    const reply = decode(bytes, ["monitor-reply"]);
    if (!reply.ok) throw new Error(`bad answer from the job manager: ${reply.detail}`);
    if (reply.message.unknownJob) throw new UnknownJobError(jobId ?? "");
    if (reply.message.error !== undefined) throw new Error(reply.message.error);
    return reply.message.body as T;
  };
  const job = (jobId: string) => ask<JobDetails>("job", jobId);
  /** Runs `fn` against the job's master; when none answers, says why (unknown job, or ended). */
  const withJobMaster = async <T>(jobId: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const known = await job(jobId).catch((lookup: Error) => lookup);
      if (known instanceof UnknownJobError) throw known;
      if (!(known instanceof Error) && hasEnded(known.status)) throw new Error(`job ${jobId} has already ${known.status === "finished" ? "finished" : `ended (${known.status})`}`);
      throw error;
    }
  };
  return {
    overview: () => ask<Overview>("overview"),
    workers: async () => (await ask<{ workers: WorkerView[] }>("workers")).workers,
    jobs: async () => (await ask<{ jobs: JobSummary[] }>("jobs")).jobs,
    job,
    cancel: (jobId) => withJobMaster(jobId, () => cancelJob(bus, jobId)),
    savepoint: (jobId, dir, stop) => withJobMaster(jobId, () => requestSavepoint(bus, jobId, dir, stop)),
    /** Resolves with the parallelism the job runs at once rescaled. */
    rescale: (jobId, parallelism, savepointDir) => withJobMaster(jobId, () => rescaleJob(bus, jobId, parallelism, savepointDir)),
  };
}
