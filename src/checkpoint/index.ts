// Checkpoint and savepoint storage: where subtask snapshots and completed checkpoints' metadata go,
// how any process reads them back (verified), and which completed checkpoints to retain.
export * from "./checkpoint-metadata.ts";
export * from "./storage-spec.ts";
export * from "./checkpoint-errors.ts";
export * from "./content-digest.ts";
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
  type CheckpointResolver,
} from "./checkpoint-storage.ts";
export * from "./retention.ts";
