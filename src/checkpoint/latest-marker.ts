// The `_latest` marker rules, pure: a store may lose recent writes (our NATS servers fsync every two
// minutes), so the highest committed id and its epoch are kept apart; restoring anything older, or
// an older epoch's metadata, is a regression to report. Receives the marker and a scan; returns a decision.

import type { CheckpointMetadata } from "./checkpoint-metadata.ts";
import type { MetadataReadOutcome } from "./metadata-envelope.ts";

/** What `_latest` records: the highest committed checkpoint and the epoch of the job master that committed it. */
export interface LatestMarker {
  checkpointId: number;
  epoch: number;
}

/** One checkpoint folder seen by a scan, highest id first: its `_metadata`, or that there was none. */
export interface ScannedCheckpoint {
  checkpointId: number;
  outcome: MetadataReadOutcome | { kind: "missing" };
}

export type LatestDecision =
  | { kind: "none" }
  | { kind: "restore"; metadata: CheckpointMetadata }
  | { kind: "unsupported-format"; checkpointId: number; format: unknown }
  | { kind: "regression"; message: string };

export type CommitCheck = { kind: "allowed" } | { kind: "refused"; message: string };

/** Encodes the marker as a line of JSON, readable with `cat`. */
export function encodeLatestMarker(marker: LatestMarker): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify({ checkpointId: marker.checkpointId, epoch: marker.epoch })}\n`);
}

export function readLatestMarker(bytes: Uint8Array): { kind: "ok"; marker: LatestMarker } | { kind: "corrupt"; detail: string } {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    const record = value as Partial<LatestMarker> | null;
    if (Number.isSafeInteger(record?.checkpointId) && Number.isSafeInteger(record?.epoch)) {
      return { kind: "ok", marker: { checkpointId: record!.checkpointId!, epoch: record!.epoch! } };
    }
    return { kind: "corrupt", detail: "expected {\"checkpointId\": <int>, \"epoch\": <int>}" };
  } catch (error) {
    return { kind: "corrupt", detail: (error as Error).message };
  }
}

/**
 * Decides what `latest` restores from a scan that went from the highest id down and stopped at the
 * first readable metadata (or ran out).
 * @example
 * decideLatest("job-1", { checkpointId: 5, epoch: 1 }, [{ checkpointId: 4, outcome: { kind: "ok", metadata } }]);
 * // { kind: "regression", message: "… _latest says checkpoint 5 … the newest valid one is checkpoint 4 …" }
 */
export function decideLatest(jobId: string, marker: LatestMarker | undefined, scanned: readonly ScannedCheckpoint[]): LatestDecision {
  const skipped: string[] = [];
  for (const entry of scanned) {
    const outcome = entry.outcome;
    if (outcome.kind === "wrong-format") return { kind: "unsupported-format", checkpointId: entry.checkpointId, format: outcome.format };
    if (outcome.kind === "ok" && outcome.metadata.jobId === jobId && outcome.metadata.checkpointId === entry.checkpointId) {
      return decideFound(jobId, marker, outcome.metadata, skipped);
    }
    skipped.push(`chk-${entry.checkpointId}: ${describeUnreadable(jobId, entry)}`);
  }
  if (!marker) return { kind: "none" };
  return { kind: "regression", message: regressionMessage(jobId, marker, "no checkpoint with valid metadata is left", skipped) };
}

/**
 * Fences a commit: a job master of an older epoch than the marker's is stale, and ids only grow.
 * @example
 * checkCommit("job-1", { checkpointId: 7, epoch: 3 }, { ...metadata, epoch: 2 }); // { kind: "refused", message: "… epoch 2 …" }
 */
export function checkCommit(jobId: string, marker: LatestMarker | undefined, metadata: CheckpointMetadata): CommitCheck {
  if (!marker) return { kind: "allowed" };
  if (metadata.epoch < marker.epoch) {
    return {
      kind: "refused",
      message: `refusing to commit checkpoint ${metadata.checkpointId} of job ${jobId} from epoch ${metadata.epoch}: a job master of epoch ${marker.epoch} has already committed checkpoint ${marker.checkpointId}, so this job master is stale`,
    };
  }
  if (metadata.checkpointId <= marker.checkpointId) {
    return {
      kind: "refused",
      message: `refusing to commit checkpoint ${metadata.checkpointId} of job ${jobId}: checkpoint ${marker.checkpointId} is already committed and ids only grow (continue numbering after the restored checkpoint, or discard the job's old checkpoints)`,
    };
  }
  return { kind: "allowed" };
}

function decideFound(jobId: string, marker: LatestMarker | undefined, metadata: CheckpointMetadata, skipped: string[]): LatestDecision {
  if (marker && metadata.checkpointId < marker.checkpointId) {
    return { kind: "regression", message: regressionMessage(jobId, marker, `the newest valid one is checkpoint ${metadata.checkpointId}`, skipped) };
  }
  if (marker && metadata.epoch < marker.epoch) {
    return {
      kind: "regression",
      message:
        `checkpoint storage of job ${jobId} regressed: checkpoint ${metadata.checkpointId} was written by a job master of epoch ${metadata.epoch}, ` +
        `but _latest records epoch ${marker.epoch} (checkpoint ${marker.checkpointId}); refusing to restore metadata from a stale job master`,
    };
  }
  return { kind: "restore", metadata };
}

function regressionMessage(jobId: string, marker: LatestMarker, found: string, skipped: string[]): string {
  const unreadable = skipped.length > 0 ? ` (unreadable: ${skipped.join("; ")})` : "";
  return (
    `checkpoint storage of job ${jobId} regressed: _latest says checkpoint ${marker.checkpointId} (epoch ${marker.epoch}) was committed, ` +
    `but ${found}${unreadable}. The store lost writes it had acknowledged (e.g. a crash before the NATS server's fsync); ` +
    `refusing to restore an older checkpoint silently. Restore from an explicit location, or delete ${jobId}/_latest to accept the older state.`
  );
}

function describeUnreadable(jobId: string, entry: ScannedCheckpoint): string {
  const outcome = entry.outcome;
  if (outcome.kind === "missing") return "no _metadata";
  if (outcome.kind === "corrupt") return `corrupt _metadata (${outcome.detail})`;
  if (outcome.kind === "ok") return `_metadata names checkpoint ${outcome.metadata.checkpointId} of job ${outcome.metadata.jobId}, not ${entry.checkpointId} of ${jobId}`;
  return "unreadable";
}
