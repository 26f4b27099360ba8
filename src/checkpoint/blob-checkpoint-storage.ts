// Checkpoint storage over a BlobStore, as a directory (DirectoryCheckpointStorage) or a JetStream
// object store bucket (ObjectStoreCheckpointStorage). Receives snapshot bytes and completed metadata;
// writes state blobs, `_metadata` records and the `_latest` marker, and applies the marker's rules.

import type { NatsConnection } from "@nats-io/transport-node";
import type { BlobStore } from "./blob-store.ts";
import type { CheckpointMetadata, StateHandle } from "./checkpoint-metadata.ts";
import type { CheckpointStorage } from "./checkpoint-storage.ts";
import type { CheckpointStorageSpec } from "./storage-spec.ts";
import { CheckpointRegressionError, CorruptCheckpointError, UnsupportedCheckpointFormatError } from "./checkpoint-errors.ts";
import { checkpointFolder, checkpointIdsIn, jobFolder, latestMarkerName, metadataName, stateName } from "./checkpoint-layout.ts";
import { contentDigest } from "./content-digest.ts";
import { checkCommit, decideLatest, encodeLatestMarker, readLatestMarker, type LatestMarker, type ScannedCheckpoint } from "./latest-marker.ts";
import { encodeMetadataEnvelope, METADATA_FORMAT, readMetadataEnvelope } from "./metadata-envelope.ts";
import { FileBlobStore } from "./file-blob-store.ts";
import { ObjectStoreBlobStore } from "./object-store-blob-store.ts";

/** The rules shared by directory and object store checkpoints; the subclasses only pick the BlobStore. */
abstract class BlobCheckpointStorage implements CheckpointStorage {
  protected constructor(
    readonly spec: CheckpointStorageSpec,
    private readonly blobs: BlobStore,
  ) {}

  async writeState(jobId: string, checkpointId: number, name: string, bytes: Uint8Array): Promise<StateHandle> {
    const blob = stateName(jobId, checkpointId, name);
    await this.blobs.put(blob, bytes);
    return { kind: "blob", uri: this.blobs.uri(blob), bytes: bytes.byteLength, digest: contentDigest(bytes) };
  }

  async commit(metadata: CheckpointMetadata): Promise<string> {
    if (metadata.kind !== "checkpoint") throw new Error(`commit takes checkpoints; write savepoint ${metadata.checkpointId} with savepointStorage(dir).commit`);
    const { jobId, checkpointId } = metadata;
    const check = checkCommit(jobId, await this.readMarker(jobId), metadata);
    if (check.kind === "refused") throw new CheckpointRegressionError(jobId, check.message);
    // Metadata before marker: a crash in between leaves a newer checkpoint than _latest says, which is fine.
    await this.blobs.put(metadataName(jobId, checkpointId), encodeMetadataEnvelope({ ...metadata, format: METADATA_FORMAT }));
    await this.blobs.put(latestMarkerName(jobId), encodeLatestMarker({ checkpointId, epoch: metadata.epoch }));
    return this.blobs.uri(checkpointFolder(jobId, checkpointId));
  }

  async latest(jobId: string): Promise<{ location: string; metadata: CheckpointMetadata } | undefined> {
    const marker = await this.readMarker(jobId);
    const scanned = await this.scanDownToValid(jobId);
    const decision = decideLatest(jobId, marker, scanned);
    switch (decision.kind) {
      case "none":
        return undefined;
      case "restore":
        return { location: this.blobs.uri(checkpointFolder(jobId, decision.metadata.checkpointId)), metadata: decision.metadata };
      case "unsupported-format":
        throw new UnsupportedCheckpointFormatError(this.blobs.uri(metadataName(jobId, decision.checkpointId)), decision.format, METADATA_FORMAT);
      case "regression":
        throw new CheckpointRegressionError(jobId, decision.message);
    }
  }

  async discardJob(jobId: string): Promise<void> {
    await this.blobs.deleteFolder(jobFolder(jobId));
  }

  async discard(jobId: string, checkpointId: number): Promise<void> {
    // Metadata first: a crash mid-way must not leave metadata that points at deleted state.
    await this.blobs.delete(metadataName(jobId, checkpointId));
    await this.blobs.deleteFolder(checkpointFolder(jobId, checkpointId));
    const marker = await this.readMarker(jobId);
    if (marker?.checkpointId === checkpointId) await this.lowerMarker(jobId);
  }

  async close(): Promise<void> {
    // The blob stores hold no resources of their own (the NATS connection belongs to the caller).
  }

  /** Reads metadata from the highest checkpoint id down, stopping at the first readable record. */
  private async scanDownToValid(jobId: string): Promise<ScannedCheckpoint[]> {
    const scanned: ScannedCheckpoint[] = [];
    for (const checkpointId of checkpointIdsIn(jobId, await this.blobs.list(jobFolder(jobId)))) {
      const bytes = await this.blobs.get(metadataName(jobId, checkpointId));
      const outcome = bytes ? readMetadataEnvelope(bytes) : ({ kind: "missing" } as const);
      scanned.push({ checkpointId, outcome });
      if (outcome.kind === "ok" || outcome.kind === "wrong-format") break;
    }
    return scanned;
  }

  /** After discarding the marker's checkpoint: the marker names the newest one left, or goes. */
  private async lowerMarker(jobId: string): Promise<void> {
    const newest = (await this.scanDownToValid(jobId)).at(-1)?.outcome;
    if (newest?.kind === "ok") {
      await this.blobs.put(latestMarkerName(jobId), encodeLatestMarker({ checkpointId: newest.metadata.checkpointId, epoch: newest.metadata.epoch }));
    } else {
      await this.blobs.delete(latestMarkerName(jobId));
    }
  }

  private async readMarker(jobId: string): Promise<LatestMarker | undefined> {
    const bytes = await this.blobs.get(latestMarkerName(jobId));
    if (!bytes) return undefined;
    const read = readLatestMarker(bytes);
    if (read.kind === "corrupt") throw new CorruptCheckpointError(this.blobs.uri(latestMarkerName(jobId)), `the _latest marker is unreadable: ${read.detail}`);
    return read.marker;
  }
}

/**
 * Checkpoints in a directory every worker and the job manager can reach:
 * `<root>/<jobId>/chk-<id>/<name>.state`, `…/chk-<id>/_metadata` and `<root>/<jobId>/_latest`.
 * @example
 * const storage = new DirectoryCheckpointStorage("/var/weir/checkpoints");
 * const location = await storage.commit(metadata); // "file:///var/weir/checkpoints/job-1/chk-7"
 */
export class DirectoryCheckpointStorage extends BlobCheckpointStorage {
  constructor(readonly root: string) {
    super({ kind: "directory", path: root }, new FileBlobStore(root));
  }
}

/**
 * Checkpoints in a JetStream Object Store bucket, under the same names as DirectoryCheckpointStorage.
 * @example
 * const storage = await ObjectStoreCheckpointStorage.open(bus.connection, "weir-checkpoints");
 */
export class ObjectStoreCheckpointStorage extends BlobCheckpointStorage {
  private constructor(readonly bucket: string, blobs: ObjectStoreBlobStore) {
    super({ kind: "object-store", bucket }, blobs);
  }

  /** Opens the bucket, creating it when it does not exist yet (every process may do so). */
  static async open(nats: NatsConnection, bucket: string): Promise<ObjectStoreCheckpointStorage> {
    return new ObjectStoreCheckpointStorage(bucket, await ObjectStoreBlobStore.open(nats, bucket, "create"));
  }
}
