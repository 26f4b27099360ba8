// Checkpoint and savepoint storage: where subtask snapshots and completed checkpoints' metadata go,
// how any process reads them back (verified), and which completed checkpoints to retain.
export * from "./checkpoint-metadata.ts";
export * from "./storage-spec.ts";
export * from "./checkpoint-errors.ts";
export * from "./content-digest.ts";
export { METADATA_FORMAT } from "./metadata-envelope.ts";
export type { LatestMarker } from "./latest-marker.ts";
export type { StorageLocation } from "./storage-location.ts";
export { parseLocation } from "./storage-location.ts";
export {
  openCheckpointStorage,
  readState,
  loadMetadata,
  savepointStorage,
  writeSavepointMetadata,
  InlineCheckpointStorage,
  DirectoryCheckpointStorage,
  ObjectStoreCheckpointStorage,
  type CheckpointStorage,
  type StateWriter,
  type SavepointStorage,
  type CheckpointResolver,
  type MemoryMetadataSource,
} from "./checkpoint-storage.ts";
export * from "./retention.ts";
