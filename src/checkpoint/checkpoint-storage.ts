// The CheckpointStorage seam: workers store subtask snapshots and get handles for their acks; the
// job master commits completed checkpoints, finds the latest, and discards old ones. Receives a
// parsed or textual spec and, for object-store://, a NATS connection passed in (never a global).

import type { NatsConnection } from "@nats-io/transport-node";
import type { CheckpointMetadata, StateHandle } from "./checkpoint-metadata.ts";
import { parseCheckpointStorage, type CheckpointStorageSpec } from "./storage-spec.ts";
import { DirectoryCheckpointStorage, ObjectStoreCheckpointStorage } from "./blob-checkpoint-storage.ts";
import { InlineCheckpointStorage } from "./inline-checkpoint-storage.ts";

export { DirectoryCheckpointStorage, ObjectStoreCheckpointStorage } from "./blob-checkpoint-storage.ts";
export { InlineCheckpointStorage } from "./inline-checkpoint-storage.ts";
export { readState, loadMetadata } from "./checkpoint-reader.ts";
export { savepointStorage, writeSavepointMetadata } from "./savepoint-storage.ts";

/** The worker's half of a storage: where one subtask's snapshot bytes go. */
export interface StateWriter {
  /**
   * Stores one subtask's snapshot bytes for checkpoint `checkpointId` of `jobId` under `name`
   * (e.g. "vertexId-3") and returns the handle to put in the ack.
   */
  writeState(jobId: string, checkpointId: number, name: string, bytes: Uint8Array): Promise<StateHandle>;
}

/** Where checkpoints of this cluster live (see `parseCheckpointStorage` for the specs). */
export interface CheckpointStorage extends StateWriter {
  readonly spec: CheckpointStorageSpec;
  /** Job-master side: makes a completed checkpoint durable (with a SHA-256 digest of its metadata); returns its location. */
  commit(metadata: CheckpointMetadata): Promise<string>;
  /** The latest completed checkpoint of a job (highest id), verified, or undefined when there is none. */
  latest(jobId: string): Promise<{ location: string; metadata: CheckpointMetadata } | undefined>;
  /** Deletes a completed or aborted checkpoint's state and metadata (retention, aborts); missing files are fine. */
  discard(jobId: string, checkpointId: number): Promise<void>;
  /** Deletes everything the job left (its checkpoints, incomplete ones too, and its markers): the job ended for good. */
  discardJob(jobId: string): Promise<void>;
  close(): Promise<void>;
}

/** Holds the encoded `_metadata` records of `memory://` locations (the job master's inline storage). */
export interface MemoryMetadataSource {
  metadataRecord(jobId: string, checkpointId: number): Uint8Array | undefined;
}

/** What reading a handle or location may need, passed in explicitly; `file://` needs nothing. */
export interface CheckpointResolver {
  /** For `object-store://` handles and locations. */
  nats?: NatsConnection;
  /** For `memory://` locations: the job master's InlineCheckpointStorage. */
  memory?: MemoryMetadataSource;
}

/**
 * Opens the storage a spec names. Object store storage creates its bucket if needed and needs a
 * NATS connection with JetStream (NatsBus exposes its `connection`).
 * @example
 * const storage = await openCheckpointStorage("object-store://weir-checkpoints", { nats: bus.connection });
 * const handle = await storage.writeState(jobId, 7, "map-0", bytes);
 */
export async function openCheckpointStorage(spec: string | CheckpointStorageSpec, options: { nats?: NatsConnection } = {}): Promise<CheckpointStorage> {
  const parsed = typeof spec === "string" ? parseCheckpointStorage(spec) : spec;
  switch (parsed.kind) {
    case "jobmanager":
      return new InlineCheckpointStorage();
    case "directory":
      return new DirectoryCheckpointStorage(parsed.path);
    case "object-store":
      if (!options.nats) {
        throw new Error(`object-store checkpoint storage needs a NATS cluster (run with --nats nats://host:4222), or use 'file:///…' or 'jobmanager'`);
      }
      return ObjectStoreCheckpointStorage.open(options.nats, parsed.bucket);
  }
}
