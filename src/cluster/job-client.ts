// Submits a prepared job over a bus and follows it to the end: job-status messages tell when it
// is done, collect messages fill the job's collected streams (checked for gaps per sink subtask).

import { randomBytes } from "node:crypto";
import type { Bus } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { listen, type ActorDeps } from "../actors/actor-deps.ts";
import { decode, encode } from "../messages/codec.ts";
import type { JobArtifact, JobStatus } from "../messages/schema.ts";
import { JobExecutionError, type JobExecutionResult, type PreparedJob } from "../api/executor.ts";

const TERMINAL: ReadonlySet<JobStatus> = new Set(["finished", "failed", "canceled"]);

export function newJobId(): string {
  return randomBytes(8).toString("hex");
}

export interface RunJobOptions {
  deps: ActorDeps;
  artifact: JobArtifact;
  jobId?: string;
  /** Called with the job id once the dispatcher has accepted the job. */
  onAccepted?: (jobId: string) => void;
}

/** Submits `job` and resolves when it has finished; rejects with JobExecutionError otherwise. */
export async function runJob(job: PreparedJob, options: RunJobOptions): Promise<JobExecutionResult> {
  const { deps, artifact } = options;
  const jobId = options.jobId ?? newJobId();
  const startedAt = deps.clock.now();
  const collect = new CollectTracker(job);

  let settle!: (outcome: { status: JobStatus; error?: string }) => void;
  const ended = new Promise<{ status: JobStatus; error?: string }>((resolve) => (settle = resolve));
  let collectError: Error | undefined;
  const subs = [
    listen(deps, "job-client", subjects.jobStatus(jobId), ["job-status"], (m) => {
      deps.log.info({ jobId, status: m.status }, "job status");
      if (TERMINAL.has(m.status)) settle({ status: m.status, error: m.error });
    }),
    listen(deps, "job-client", subjects.collect(jobId), ["collect"], (m) => {
      try {
        collect.accept(m.sinkId, m.subtaskIndex, m.seq, m.records, m.last);
      } catch (error) {
        collectError ??= error as Error;
      }
    }),
  ];
  try {
    await deps.bus.flush();
    const reply = decode(await deps.bus.request(subjects.submitJob(), encode({ type: "submit-job", jobId, artifact, jobGraph: job.jobGraph }), { timeoutMs: 10_000 }), [
      "submit-job-reply",
    ]);
    if (!reply.ok) throw new Error(`bad reply from the dispatcher: ${reply.detail}`);
    if (!reply.message.accepted) throw new JobExecutionError(jobId, "failed", reply.message.error);
    options.onAccepted?.(jobId);
    const outcome = await ended;
    if (outcome.status !== "finished") throw new JobExecutionError(jobId, outcome.status, outcome.error);
    await collect.complete(deps);
    if (collectError) throw collectError;
    return { jobId, jobName: job.jobGraph.jobName, status: "finished", durationMs: deps.clock.now() - startedAt };
  } finally {
    for (const sub of subs) sub.unsubscribe();
  }
}

/** Follows the collect batches of every collect sink subtask; a gap is an error, never a silent loss. */
class CollectTracker {
  private readonly nextSeq = new Map<string, number>();
  private readonly open = new Set<string>();
  private waiter?: () => void;

  constructor(private readonly job: PreparedJob) {
    for (const sinkId of job.collectors.keys()) {
      const vertex = job.jobGraph.vertices.find((v) => v.nodes.includes(Number(sinkId)))!;
      for (let i = 0; i < vertex.parallelism; i++) this.open.add(`${sinkId}/${i}`);
    }
  }

  accept(sinkId: string, subtask: number, seq: number, records: unknown[], last: boolean): void {
    const collected = this.job.collectors.get(sinkId);
    if (!collected) return;
    const key = `${sinkId}/${subtask}`;
    const expected = this.nextSeq.get(key) ?? 1;
    // After a failover a restored sink sends again what it had sent since its checkpoint: drop repeats.
    if (seq < expected || !this.open.has(key)) return;
    if (seq !== expected) throw new Error(`collect sink ${key}: expected batch ${expected}, got ${seq}; results were lost`);
    this.nextSeq.set(key, seq + 1);
    for (const record of records) collected.values.push(record);
    if (last) {
      this.open.delete(key);
      if (this.open.size === 0) this.waiter?.();
    }
  }

  /** Waits (briefly) for the last batch of every sink subtask: they travel apart from job status. */
  async complete(deps: ActorDeps): Promise<void> {
    if (this.open.size === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = deps.clock.setTimeout(() => reject(new Error(`collect results incomplete: no final batch from ${[...this.open].join(", ")}`)), 10_000);
      this.waiter = () => {
        deps.clock.clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Asks a running job to cancel. */
export function cancelJob(bus: Bus, jobId: string): void {
  bus.publish(subjects.cancelJob(jobId), encode({ type: "cancel-job", jobId }));
}
