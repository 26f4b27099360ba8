// The job records of a highly available job manager in a JetStream key-value bucket: one key per
// running job (its id), the value a line of JSON with the submission as an encoded submit-job
// message and the figures the monitor shows (start, restarts, exceptions). Writes go one after another, in the order asked for, so a job's removal is never
// overtaken by an earlier update. Records that do not decode are skipped, counted and logged.

import { createBucket } from "../bus/bucket-replicas.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { JobFigures, JobRecord, JobStore } from "../coordinator/job-record.ts";
import { decode, encode } from "../messages/codec.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import { ExceptionViewSchema } from "../observability/views.ts";

export const JOB_STORE_BUCKET = "weir-jobs";

interface StoredRecord {
  submission: string;
  attempt: number;
  checkpoint?: { id: number; location: string };
  figures?: JobFigures;
}

const JobFiguresSchema = Type.Object({ startTime: Type.Number(), restarts: Type.Integer({ minimum: 0 }), exceptions: Type.Array(ExceptionViewSchema) });

export async function openKvJobStore(nats: NatsConnection, log: Logger, metrics: MetricRegistry, bucket = JOB_STORE_BUCKET): Promise<JobStore> {
  const kvm = new Kvm(nats);
  const kv: KV = await createBucket(nats, (replicas) => kvm.create(bucket, { history: 1, description: "weir: running jobs, for a job manager that takes over", replicas }), () => kvm.open(bucket));
  let queue: Promise<unknown> = Promise.resolve();
  /** Writes that failed since the last one that succeeded: logged once, not once per checkpoint. */
  let failing = 0;
  /** Runs writes one after another; a failed write is logged and does not stop the next. */
  const serially = (what: string, jobId: string, write: () => Promise<unknown>): Promise<void> => {
    const next = queue.then(write).then(
      () => {
        if (failing > 0) log.info({ bucket, failed: failing }, "job records are written again");
        failing = 0;
      },
      (error: unknown) => {
        metrics.counter("weir_job_record_writes_failed_total").inc();
        if (failing++ === 0) log.warn({ err: error, jobId, bucket }, `could not ${what} the job's record (said once until a write succeeds): a job manager taking over finds the job's latest checkpoint in its storage`);
      },
    );
    queue = next;
    return next;
  };
  const skip = (key: string, detail: string) => {
    metrics.counter("weir_job_records_skipped_total").inc();
    log.warn({ bucket, key, detail }, "skipped a job record that does not decode");
  };
  return {
    save: (record) => {
      const stored: StoredRecord = { submission: Buffer.from(encode(record.submission)).toString("base64"), attempt: record.attempt, checkpoint: record.checkpoint, figures: record.figures };
      return serially("save", record.submission.jobId, () => kv.put(record.submission.jobId, JSON.stringify(stored)));
    },
    remove: (jobId) => serially("delete", jobId, () => kv.delete(jobId)),
    async loadAll() {
      await queue;
      const records: JobRecord[] = [];
      for await (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry?.operation !== "PUT") continue;
        let stored: StoredRecord;
        try {
          stored = entry.json<StoredRecord>();
        } catch (error) {
          skip(key, (error as Error).message);
          continue;
        }
        const submission = typeof stored?.submission === "string" ? decode(Buffer.from(stored.submission, "base64"), ["submit-job"]) : undefined;
        if (!submission?.ok || !Number.isSafeInteger(stored.attempt)) {
          skip(key, submission && !submission.ok ? submission.detail : "expected { submission, attempt, checkpoint? }");
          continue;
        }
        const checkpoint = stored.checkpoint && Number.isSafeInteger(stored.checkpoint.id) && typeof stored.checkpoint.location === "string" ? stored.checkpoint : undefined;
        // Figures that do not fit are dropped, not the job: it is taken over, counting from then.
        const figures = Value.Check(JobFiguresSchema, stored.figures) ? stored.figures : undefined;
        records.push({ submission: submission.message, attempt: stored.attempt, checkpoint, figures });
      }
      return records;
    },
  };
}
