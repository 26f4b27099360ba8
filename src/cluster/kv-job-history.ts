// The monitor's job history in a JetStream key-value bucket: one key per ended job, the job's
// details as JSON. Entries that do not parse or fit the schema are skipped and counted; the
// oldest beyond the limit are deleted.

import { createBucket } from "../bus/bucket-replicas.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { Value } from "@sinclair/typebox/value";
import { MAX_ENDED_JOBS } from "../monitor/cluster-view.ts";
import type { JobHistory } from "../monitor/job-history.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import { JobDetailsSchema, type JobDetails } from "../observability/views.ts";

export const JOB_HISTORY_BUCKET = "weir-job-history";

export async function openKvJobHistory(nats: NatsConnection, log: Logger, metrics: MetricRegistry): Promise<JobHistory> {
  const kvm = new Kvm(nats);
  const kv: KV = await createBucket(nats, (replicas) => kvm.create(JOB_HISTORY_BUCKET, { history: 1, description: "weir: ended jobs, for the job manager's monitor", replicas }), () => kvm.open(JOB_HISTORY_BUCKET));
  /** Ended jobs kept, by id, with their end time: the oldest go first. */
  const ends = new Map<string, number>();
  const prune = async () => {
    const oldest = [...ends].sort((a, b) => a[1] - b[1]).slice(0, Math.max(0, ends.size - MAX_ENDED_JOBS));
    for (const [jobId] of oldest) {
      ends.delete(jobId);
      await kv.delete(jobId);
    }
  };
  return {
    async load() {
      const jobs: JobDetails[] = [];
      for await (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry?.operation !== "PUT") continue;
        let value: unknown;
        try {
          value = entry.json();
        } catch {
          value = undefined;
        }
        if (!Value.Check(JobDetailsSchema, value)) {
          metrics.counter("weir_job_history_skipped_total").inc();
          log.warn({ bucket: JOB_HISTORY_BUCKET, key }, "skipped a job history entry that is not a job's details");
          continue;
        }
        jobs.push(value);
        ends.set(value.id, value.endTime ?? value.startTime);
      }
      await prune();
      return jobs.filter((job) => ends.has(job.id));
    },
    async save(job) {
      await kv.put(job.id, JSON.stringify(job));
      ends.set(job.id, job.endTime ?? job.startTime);
      await prune();
    },
  };
}
