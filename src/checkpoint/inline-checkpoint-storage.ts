// jobmanager checkpoint storage (Flink's JobManagerCheckpointStorage): snapshot bytes travel inline
// in the acks, and the job master keeps each job's completed checkpoints in memory, as the same
// digest-carrying `_metadata` records the other storages write. Lost when the job master stops.

import type { CheckpointMetadata, StateHandle } from "./checkpoint-metadata.ts";
import type { CheckpointStorage, MemoryMetadataSource } from "./checkpoint-storage.ts";
import { InlineStateTooLargeError } from "./checkpoint-errors.ts";
import { contentDigest } from "./content-digest.ts";
import { decodeMetadataEnvelope, encodeMetadataEnvelope, METADATA_FORMAT } from "./metadata-envelope.ts";
import { memoryLocation } from "./storage-location.ts";
import { inlineStateFit, type CheckpointStorageSpec } from "./storage-spec.ts";

/**
 * Keeps completed checkpoints in the job master's memory; pass it as `{ memory }` to `loadMetadata`
 * to read its `memory://` locations.
 * @example
 * const storage = new InlineCheckpointStorage();
 * const handle = await storage.writeState("job-1", 1, "map-0", bytes); // { kind: "inline", bytes, digest }
 * const location = await storage.commit(metadata);                      // "memory://job-1/chk-1"
 */
export class InlineCheckpointStorage implements CheckpointStorage, MemoryMetadataSource {
  readonly spec: CheckpointStorageSpec = { kind: "jobmanager" };
  /** Per job, per checkpoint id: the encoded `_metadata` record. */
  private readonly jobs = new Map<string, Map<number, Uint8Array>>();

  async writeState(_jobId: string, _checkpointId: number, name: string, bytes: Uint8Array): Promise<StateHandle> {
    const fit = inlineStateFit(name, bytes.byteLength);
    if (fit.kind === "too-large") throw new InlineStateTooLargeError(fit.message);
    return { kind: "inline", bytes, digest: contentDigest(bytes) };
  }

  async commit(metadata: CheckpointMetadata): Promise<string> {
    let checkpoints = this.jobs.get(metadata.jobId);
    if (!checkpoints) this.jobs.set(metadata.jobId, (checkpoints = new Map()));
    checkpoints.set(metadata.checkpointId, encodeMetadataEnvelope({ ...metadata, format: METADATA_FORMAT }));
    return memoryLocation(metadata.jobId, metadata.checkpointId);
  }

  async latest(jobId: string): Promise<{ location: string; metadata: CheckpointMetadata } | undefined> {
    const checkpoints = this.jobs.get(jobId);
    if (!checkpoints || checkpoints.size === 0) return undefined;
    const checkpointId = Math.max(...checkpoints.keys());
    const location = memoryLocation(jobId, checkpointId);
    return { location, metadata: decodeMetadataEnvelope(checkpoints.get(checkpointId)!, location) };
  }

  async discard(jobId: string, checkpointId: number): Promise<void> {
    const checkpoints = this.jobs.get(jobId);
    checkpoints?.delete(checkpointId);
    if (checkpoints?.size === 0) this.jobs.delete(jobId);
  }

  async discardJob(jobId: string): Promise<void> {
    this.jobs.delete(jobId);
  }

  metadataRecord(jobId: string, checkpointId: number): Uint8Array | undefined {
    return this.jobs.get(jobId)?.get(checkpointId);
  }

  async close(): Promise<void> {
    this.jobs.clear();
  }
}
