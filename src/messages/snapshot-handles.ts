// Where a checkpoint's state is, as messages carry it: a subtask's state handle, and what each
// operator ran at. The checkpoint layer stores and reads these; acknowledgements and restores name them.

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
