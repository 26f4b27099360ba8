// What a completed checkpoint or savepoint is made of: one state handle per subtask (the bytes of
// that subtask's operator snapshots, stored by a CheckpointStorage) and the metadata that lists
// them. Plain data, msgpack-friendly; the metadata's digest is computed and checked by the store.

/** Where one subtask's snapshot bytes are: inline (kept by the job master) or a blob in storage. */
export type StateHandle =
  | { kind: "inline"; bytes: Uint8Array; digest: string }
  | { kind: "blob"; uri: string; bytes: number; digest: string };

/** One subtask's part of a checkpoint: the operators (by uid) whose state its handle holds. */
export interface SubtaskStateMetadata {
  vertexId: string;
  subtaskIndex: number;
  /** Uids of the chained operators with state in this handle. */
  operatorUids: string[];
  /** Absent when none of its operators had state. */
  handle?: StateHandle;
  /** The subtask had finished before the checkpoint: it is restored as finished. */
  finished?: boolean;
  /** Incremental: earlier checkpoints whose state files this handle builds on (they are kept while it is). */
  references?: number[];
  /**
   * The handle holds more than keyed state: operator state or source splits (`operatorState`),
   * union list state (`unionState`). A restore reads a handle without them only where its key
   * groups are needed.
   */
  operatorState?: boolean;
  unionState?: boolean;
}

/** Per operator uid: the parallelism it ran at (what restoring at another parallelism needs). */
export interface OperatorMetadata {
  uid: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
}

export type SnapshotKind = "checkpoint" | "savepoint";

export interface CheckpointMetadata {
  /** Format version of this record; another version is refused on restore. */
  format: 1;
  kind: SnapshotKind;
  jobId: string;
  jobName: string;
  checkpointId: number;
  /** When it was triggered (the job master's clock, ms). */
  timestamp: number;
  /** Grows with every job master (re)start of the job: a lower epoch than already seen is a regression. */
  epoch: number;
  operators: OperatorMetadata[];
  subtasks: SubtaskStateMetadata[];
  /** An unaligned checkpoint holds in-flight data per channel: it restores only at the same parallelism. */
  unaligned?: boolean;
}
