// What a leading job manager keeps of each running job so that another can take it over: the
// submission (graph, artifact, secret, client-facing id), the attempt it runs, where its latest
// completed checkpoint is, and the figures `weir list`/`weir info` show of its life so far. The
// store behind it (a JetStream KV bucket) lives in the cluster layer.

import type { SubmitJob } from "../messages/schema.ts";
import type { ExceptionView } from "../observability/views.ts";

/** What the monitor shows of a job's life, kept so that a job taken over keeps its start, restarts and exceptions. */
export interface JobFigures {
  /** When the job was submitted (ms since the epoch): its duration counts from here. */
  startTime: number;
  /** Times the job went into `restarting`: failures, rescales and takeovers. */
  restarts: number;
  /** Its failures, oldest first, the newest MAX_RECORDED_EXCEPTIONS at most. */
  exceptions: ExceptionView[];
}

/** Exceptions a job record keeps: the record is written again with every completed checkpoint. */
export const MAX_RECORDED_EXCEPTIONS = 20;

export interface JobRecord {
  submission: SubmitJob;
  /** The attempt the job master runs (or last deployed): a new leader deploys a higher one. */
  attempt: number;
  /** The latest completed checkpoint: what a new leader restores. */
  checkpoint?: { id: number; location: string };
  /** Absent in records of older versions: a job taken over then counts from its takeover. */
  figures?: JobFigures;
}

/** The figures with one more restart (the job went into `restarting`). */
export function withRestart(figures: JobFigures): JobFigures {
  return { ...figures, restarts: figures.restarts + 1 };
}

/** The figures with one more exception, the oldest dropped beyond MAX_RECORDED_EXCEPTIONS. */
export function withException(figures: JobFigures, exception: ExceptionView): JobFigures {
  return { ...figures, exceptions: [...figures.exceptions, exception].slice(-MAX_RECORDED_EXCEPTIONS) };
}

/** Where job records live; writes of one store are applied in the order they were asked for. */
export interface JobStore {
  save(record: JobRecord): Promise<void>;
  remove(jobId: string): Promise<void>;
  /** Every record, for a new leader; records that do not parse are skipped (and counted by the store). */
  loadAll(): Promise<JobRecord[]>;
}

/** The attempt a new leader deploys a taken-over job with: above every attempt the old leader may have run. */
export function takeoverAttempt(record: JobRecord, seenAttempts: readonly number[] = []): number {
  return Math.max(record.attempt, ...seenAttempts) + 1;
}
