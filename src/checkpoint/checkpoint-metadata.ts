// What a completed checkpoint or savepoint is made of: one state handle per subtask (the bytes of
// that subtask's operator snapshots, stored by a CheckpointStorage) and the metadata that lists
// them. Plain data, msgpack-friendly; the metadata's digest is computed and checked by the store,
// and its schema (below) is what the metadata reader checks a decoded record against.

import { Type, type Static } from "@sinclair/typebox";
import { OperatorMetadataSchema, SubtaskStateMetadataSchema } from "../messages/snapshot-handles.ts";
import { int, numeric, oneOf, optional } from "../messages/wire-types.ts";

export type { OperatorMetadata, StateHandle, SubtaskStateMetadata } from "../messages/snapshot-handles.ts";

const SnapshotKindSchema = oneOf("checkpoint", "savepoint");
export type SnapshotKind = Static<typeof SnapshotKindSchema>;

const EnumeratorStateSchema = Type.Object({ uid: Type.String(), state: Type.Unknown() });
/** One split enumerator's state in a checkpoint or savepoint. */
export type EnumeratorState = Static<typeof EnumeratorStateSchema>;

export const CheckpointMetadataSchema = Type.Object({
  /** Format version of this record; another version is refused on restore. */
  format: Type.Literal(1),
  kind: SnapshotKindSchema,
  jobId: Type.String(),
  jobName: Type.String(),
  checkpointId: int(),
  /** When it was triggered (the job master's clock, ms). */
  timestamp: numeric(),
  /** Grows with every job master (re)start of the job: a lower epoch than already seen is a regression. */
  epoch: int(),
  operators: Type.Array(OperatorMetadataSchema),
  subtasks: Type.Array(SubtaskStateMetadataSchema),
  /** An unaligned checkpoint holds in-flight data per channel: it restores only at the same parallelism. */
  unaligned: optional(Type.Boolean()),
  /** The split enumerators' state, by their source's operator uid, taken as the checkpoint was triggered. */
  enumerators: optional(Type.Array(EnumeratorStateSchema)),
});
export type CheckpointMetadata = Static<typeof CheckpointMetadataSchema>;
