// Keyed state on disk in an embedded LMDB environment, with incremental snapshots, and the pure
// functions that materialise a chain of incremental snapshots into full per-key-group snapshots.
export { LmdbKeyedStateBackend, type KeyedStateBackendLike, type LmdbKeyedStateBackendOptions } from "./lmdb-keyed-state-backend.ts";
export { applyIncrementalChain, changedKeys, type IncrementalSnapshot, type KeyGroupStateDelta, type StateTableDelta } from "./incremental-snapshots.ts";
export { CheckpointChangeLog, type Confirmation, type DeltaScope } from "./checkpoint-change-log.ts";
