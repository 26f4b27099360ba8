// What a leading job manager keeps of each running job so that another can take it over: the
// submission (graph, artifact, secret, client-facing id), the attempt it runs, and where its latest
// completed checkpoint is. The store behind it (a JetStream KV bucket) lives in the cluster layer.

import type { SubmitJob } from "../messages/schema.ts";

export interface JobRecord {
  submission: SubmitJob;
  /** The attempt the job master runs (or last deployed): a new leader deploys a higher one. */
  attempt: number;
  /** The latest completed checkpoint: what a new leader restores. */
  checkpoint?: { id: number; location: string };
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
