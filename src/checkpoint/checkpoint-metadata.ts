// What a completed checkpoint or savepoint is made of: one state handle per subtask (the bytes of
// that subtask's operator snapshots, stored by a CheckpointStorage) and the metadata that lists
// them. Plain data, msgpack-friendly; the metadata's digest is computed and checked by the store.

import type { OperatorMetadata, SubtaskStateMetadata } from "../messages/snapshot-handles.ts";

export type { OperatorMetadata, StateHandle, SubtaskStateMetadata } from "../messages/snapshot-handles.ts";

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
