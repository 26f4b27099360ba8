// Submits a prepared job over a bus and follows it to the end: job-status messages tell when it
// is done, collect messages fill the job's collected streams (checked for gaps per sink subtask).

import { randomBytes } from "node:crypto";
import { NoRespondersError, RequestTimeoutError, type Bus } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { listen, type ActorDeps } from "../actors/actor-deps.ts";
import { decode, encode } from "../messages/codec.ts";
import { collectKey, collectMac, newJobSecret } from "../messages/deployment-binding.ts";
import { Rejections } from "../messages/rejections.ts";
import { hasEnded, type CollectBatch, type JobArtifact, type JobStatus } from "../messages/schema.ts";
import { JobExecutionError, type JobClient, type JobExecutionResult, type PreparedJob } from "../api/executor.ts";
import { requestSavepoint } from "./savepoint-request.ts";


export function newJobId(): string {
  return randomBytes(8).toString("hex");
}

export interface RunJobOptions {
  deps: ActorDeps;
  artifact: JobArtifact;
  jobId?: string;
  /** Called with the job id once the dispatcher has accepted the job. */
  onAccepted?: (jobId: string) => void;
  /** Called with what a job status says about its progress (e.g. what scheduling waits for). */
  onProgress?: (jobId: string, status: JobStatus, detail: string) => void;
}

/** Submits `job` and resolves when it has finished; rejects with JobExecutionError otherwise. */
export async function runJob(job: PreparedJob, options: RunJobOptions): Promise<JobExecutionResult> {
  return (await submitJob(job, options)).result;
}

/** Submits `job` and resolves, once the dispatcher accepted it, with a client that follows it. */
export async function submitJob(job: PreparedJob, options: RunJobOptions): Promise<JobClient> {
  const { deps, artifact } = options;
  const jobId = options.jobId ?? newJobId();
  const startedAt = deps.clock.now();
  const secret = newJobSecret();
  const collect = new CollectTracker(job, collectKey(secret), new Rejections(deps.metrics, deps.log, "job-client"));

  let settle!: (outcome: { status: JobStatus; error?: string; stoppedWithSavepoint?: string }) => void;
  const ended = new Promise<{ status: JobStatus; error?: string; stoppedWithSavepoint?: string }>((resolve) => (settle = resolve));
  let collectError: Error | undefined;
  let over = false;
  // A job master may publish before the dispatcher's reply comes (it records the job first): its progress waits for the acceptance.
  let held: [JobStatus, string][] | undefined = [];
  const progress = (status: JobStatus, detail: string) => (held ? held.push([status, detail]) : options.onProgress?.(jobId, status, detail));
  const subs = [
    listen(deps, "job-client", subjects.jobStatus(jobId), ["job-status"], (m) => {
      // The dispatcher publishes a job's final status again, in case it was lost: the first one counts.
      if (over) return;
      over = hasEnded(m.status);
      deps.log.info({ jobId, status: m.status, detail: m.detail }, "job status");
      if (m.detail !== undefined) progress(m.status, m.detail);
      if (hasEnded(m.status)) settle({ status: m.status, error: m.error, stoppedWithSavepoint: m.stoppedWithSavepoint });
    }),
    listen(deps, "job-client", subjects.collect(jobId), ["collect"], (m, reply, context) => {
      try {
        collect.accept(m, context);
      } catch (error) {
        collectError ??= error as Error;
      } finally {
        // A lane's last batch asks for an answer: without one the sink sends it again (a repeat is dropped above).
        if (reply !== undefined && m.last && collect.isSigned(m)) deps.bus.publish(reply, new Uint8Array(0));
      }
    }),
  ];
  const unsubscribe = () => subs.forEach((sub) => sub.unsubscribe());
  try {
    await deps.bus.flush();
    const submission = { type: "submit-job" as const, jobId, artifact, jobGraph: job.jobGraph, restoreFrom: job.restoreFrom, secret };
    const reply = decode(await deps.bus.request(subjects.submitJob(), encode(submission), { timeoutMs: 10_000 }), ["submit-job-reply"]);
    if (!reply.ok) throw new Error(`bad reply from the dispatcher: ${reply.detail}`);
    if (!reply.message.accepted) throw new JobExecutionError(jobId, "failed", reply.message.error);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  options.onAccepted?.(jobId);
  for (const [status, detail] of held) options.onProgress?.(jobId, status, detail);
  held = undefined;
  const result = (async (): Promise<JobExecutionResult> => {
    try {
      const outcome = await ended;
      if (outcome.status !== "finished") throw new JobExecutionError(jobId, outcome.status, outcome.error);
      // Stopped without drain, the sinks were canceled after the savepoint: no final batch comes.
      if (!outcome.stoppedWithSavepoint) await collect.complete(deps);
      if (collect.forged > 0) deps.log.warn({ jobId, dropped: collect.forged }, "dropped collect batches not signed with the job's collect key");
      if (collectError) throw collectError;
      return { jobId, jobName: job.jobGraph.jobName, status: "finished", durationMs: deps.clock.now() - startedAt };
    } finally {
      unsubscribe();
    }
  })();
  result.catch(() => undefined);
  return {
    jobId,
    result,
    triggerSavepoint: (dir) => requestSavepoint(deps.bus, jobId, dir),
    stopWithSavepoint: (dir, stopOptions = {}) => requestSavepoint(deps.bus, jobId, dir, stopOptions.drain ? "drain" : "terminate"),
    cancel: () => cancelJob(deps.bus, jobId),
  };
}

/**
 * Follows the collect batches of every collect sink subtask; a gap is an error, never a silent
 * loss. A batch not signed with the job's collect key is a stranger's: rejected before it is
 * numbered, so it can neither take a real batch's place nor fail the job.
 */
class CollectTracker {
  private readonly nextSeq = new Map<string, number>();
  private readonly open = new Set<string>();
  /** Lanes whose last batch came: later batches in them are repeats. */
  private readonly closed = new Set<string>();
  private waiter?: () => void;
  private gapFound = false;
  /** Batches rejected for a wrong signature. */
  forged = 0;

  constructor(
    private readonly job: PreparedJob,
    private readonly key: string,
    private readonly rejections: Rejections,
  ) {
    for (const sinkId of job.collectors.keys()) {
      const vertex = job.jobGraph.vertices.find((v) => v.nodes.includes(Number(sinkId)))!;
      for (let i = 0; i < vertex.parallelism; i++) this.open.add(`${sinkId}/${i}`);
    }
  }

  accept(batch: CollectBatch, context: { subject: string; bytes: number }): void {
    const { sinkId, subtaskIndex: subtask, seq, records, last } = batch;
    const collected = this.job.collectors.get(sinkId);
    if (!collected) return;
    if (!this.isSigned(batch)) {
      this.forged += 1;
      this.rejections.reject({ reason: "wrong-deployment", detail: `collect batch ${seq} of sink ${sinkId}/${subtask} is not signed with the job's collect key` }, context);
      return;
    }
    const key = `${sinkId}/${subtask}`;
    const expected = this.nextSeq.get(key) ?? 1;
    // After a failover a restored sink sends again what it had sent since its checkpoint: drop repeats.
    if (seq < expected || this.closed.has(key)) return;
    // A lane a rescaled execution opened (see CollectSink): followed from its first batch.
    if (!this.open.has(key)) this.open.add(key);
    if (seq !== expected) {
      // The lane can no longer end: the wait for final batches stops, and the caller reports this gap.
      this.gapFound = true;
      this.waiter?.();
      throw new Error(`collect sink ${key}: expected batch ${expected}, got ${seq}; results were lost`);
    }
    this.nextSeq.set(key, seq + 1);
    for (const record of records) collected.values.push(record);
    if (last) {
      this.open.delete(key);
      this.closed.add(key);
      if (this.open.size === 0) this.waiter?.();
    }
  }

  /** Whether `batch` carries the job's collect key: only the sinks of this job have it. */
  isSigned(batch: CollectBatch): boolean {
    const { sinkId, subtaskIndex, seq, records, last } = batch;
    return batch.mac === collectMac(this.key, { jobId: batch.jobId, sinkId, subtaskIndex, seq, last, count: records.length });
  }

  /** Waits (briefly) for the last batch of every sink subtask: they travel apart from job status. */
  async complete(deps: ActorDeps): Promise<void> {
    if (this.open.size === 0 || this.gapFound) return;
    await new Promise<void>((resolve, reject) => {
      const timer = deps.clock.setTimeout(() => reject(new Error(`collect results incomplete: no final batch from ${[...this.open].join(", ")}`)), 10_000);
      this.waiter = () => {
        deps.clock.clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * Asks a running job's master to rescale it to `parallelism` (through a savepoint into
 * `savepointDir`, else under its checkpoint directory) and resolves once it runs at it again.
 */
export async function rescaleJob(bus: Bus, jobId: string, parallelism: number, savepointDir?: string, timeoutMs = 10 * 60_000): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await bus.request(subjects.rescaleJob(jobId), encode({ type: "rescale-job", jobId, parallelism, savepointDir }), { timeoutMs });
  } catch (error) {
    if (error instanceof NoRespondersError) throw new Error(`job ${jobId} is not running (no job master answered): only a running job can be rescaled`);
    if (error instanceof RequestTimeoutError) throw new Error(`job ${jobId}: the rescale did not end within ${timeoutMs} ms (${error.message}); \`weir info ${jobId}\` shows where it stands`);
    throw error;
  }
  const reply = decode(bytes, ["rescale-job-reply"]);
  if (!reply.ok) throw new Error(`bad rescale reply: ${reply.detail}`);
  if (reply.message.error !== undefined || reply.message.parallelism === undefined) throw new Error(reply.message.error ?? "the rescale failed");
  return reply.message.parallelism;
}

/** Asks a running job to cancel; resolves once its job master has begun, rejects when no job master answers. */
export async function cancelJob(bus: Bus, jobId: string, timeoutMs = 5000): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await bus.request(subjects.cancelJob(jobId), encode({ type: "cancel-job", jobId }), { timeoutMs });
  } catch (error) {
    if (error instanceof NoRespondersError) throw new Error(`job ${jobId} is not running (no job master answered): nothing was canceled`);
    if (error instanceof RequestTimeoutError) throw new Error(`job ${jobId}: no answer to the cancel request within ${timeoutMs} ms (${error.message})`);
    throw error;
  }
  const reply = decode(bytes, ["cancel-job-reply"]);
  if (!reply.ok) throw new Error(`bad cancel reply: ${reply.detail}`);
}
