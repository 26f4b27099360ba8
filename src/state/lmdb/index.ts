// Keyed state on disk in an embedded LMDB environment, with incremental snapshots, and the pure
// functions that materialise a chain of incremental snapshots into full per-key-group snapshots.
export { LmdbKeyedStateBackend } from "./lmdb-keyed-state-backend.ts";
export { applyIncrementalChain, changedKeys, type IncrementalSnapshot } from "./incremental-snapshots.ts";
export { CheckpointChangeLog } from "./checkpoint-change-log.ts";
