// Where a checkpoint's state is, as messages carry it: a subtask's state handle, and what each
// operator ran at. The checkpoint layer stores and reads these; acknowledgements and restores name
// them. Each is a schema (the codec and the metadata reader check values with it) and its type.

import { Type, type Static } from "@sinclair/typebox";
import { int, optional } from "./wire-types.ts";

export const StateHandleSchema = Type.Union([
  Type.Object({ kind: Type.Literal("inline"), bytes: Type.Uint8Array(), digest: Type.String() }),
  Type.Object({ kind: Type.Literal("blob"), uri: Type.String(), bytes: int(), digest: Type.String() }),
]);
/** Where one subtask's snapshot bytes are: inline (kept by the job master) or a blob in storage. */
export type StateHandle = Static<typeof StateHandleSchema>;

export const SubtaskStateMetadataSchema = Type.Object({
  vertexId: Type.String(),
  subtaskIndex: int(),
  /** Uids of the chained operators with state in this handle. */
  operatorUids: Type.Array(Type.String()),
  /** Absent when none of its operators had state. */
  handle: optional(StateHandleSchema),
  /** The subtask had finished before the checkpoint: it is restored as finished. */
  finished: optional(Type.Boolean()),
  /** Incremental: earlier checkpoints whose state files this handle builds on (they are kept while it is). */
  references: optional(Type.Array(int())),
  /**
   * The handle holds more than keyed state: operator state or source splits (`operatorState`),
   * union list state (`unionState`). A restore reads a handle without them only where its key
   * groups are needed.
   */
  operatorState: optional(Type.Boolean()),
  unionState: optional(Type.Boolean()),
});
/** One subtask's part of a checkpoint: the operators (by uid) whose state its handle holds. */
export type SubtaskStateMetadata = Static<typeof SubtaskStateMetadataSchema>;

export const OperatorMetadataSchema = Type.Object({ uid: Type.String(), name: Type.String(), parallelism: int(), maxParallelism: int() });
/** Per operator uid: the parallelism it ran at (what restoring at another parallelism needs). */
export type OperatorMetadata = Static<typeof OperatorMetadataSchema>;
