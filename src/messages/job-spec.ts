// What a submitted job is, as submit-job and deploy-task carry it: the job graph, its configuration
// and where its code is. Each is a schema (what the codec checks) and the type derived from it;
// schema.ts re-exports the types with the messages that hold them.

import { Type, type Static } from "@sinclair/typebox";
import { EXPECTED, int, numeric, oneOf, optional, token } from "./wire-types.ts";

export const JobArtifactSchema = Type.Union([
  Type.Object({
    kind: Type.Literal("bundle"),
    /** The bundle's SHA-256, "sha256:<64 hex digits>": its name in the artifact bucket, checked against the bytes fetched. */
    digest: Type.String({ pattern: "^sha256:[0-9a-f]{64}$", [EXPECTED]: "a digest \"sha256:<64 lowercase hex digits>\"" }),
    /** The job module's file name on the client, for messages only. */
    module: Type.String(),
    args: Type.Array(Type.String()),
    cwd: Type.String(),
    parallelism: optional(int()),
  }),
  Type.Object({ kind: Type.Literal("in-process"), key: Type.String() }),
]);
/** Where a worker finds the code of a job: a bundle in the artifact bucket, or a graph of the embedded cluster. */
export type JobArtifact = Static<typeof JobArtifactSchema>;

export const CheckpointingModeSchema = oneOf("exactly-once", "at-least-once");
export type CheckpointingMode = Static<typeof CheckpointingModeSchema>;

const CheckpointingConfigSchema = Type.Object({
  intervalMs: numeric(),
  mode: CheckpointingModeSchema,
  timeoutMs: numeric(),
  minPauseMs: numeric(),
  maxConcurrent: int(),
  /** Consecutive failed checkpoints tolerated; one more fails the job. */
  tolerableFailures: int(),
  /** Completed checkpoints kept (Flink's state.checkpoints.num-retained). */
  retained: int(),
  /** Keep the retained checkpoints when the job is canceled (else they are deleted). */
  retainOnCancel: Type.Boolean(),
  /** "jobmanager", "file:///dir" or "object-store://bucket" (see src/checkpoint/storage-spec.ts). */
  storage: Type.String(),
  /** Barriers overtake in-flight frames, which are stored with the snapshot (exactly-once only). */
  unaligned: optional(Type.Boolean()),
  /** With `unaligned`: checkpoints start aligned and a subtask switches to unaligned once its alignment takes this long (ms). */
  alignedTimeoutMs: optional(numeric()),
});
/** Checkpointing as a job configures it (enableCheckpointing and the checkpoint config). */
export type CheckpointingConfig = Static<typeof CheckpointingConfigSchema>;

const RestartStrategyConfigSchema = Type.Union([
  Type.Object({ kind: Type.Literal("none") }),
  Type.Object({ kind: Type.Literal("fixed-delay"), attempts: numeric(), delayMs: numeric() }),
  Type.Object({ kind: Type.Literal("failure-rate"), maxFailuresPerInterval: numeric(), intervalMs: numeric(), delayMs: numeric() }),
  Type.Object({
    kind: Type.Literal("exponential-delay"),
    initialBackoffMs: numeric(),
    maxBackoffMs: numeric(),
    multiplier: numeric(),
    resetBackoffThresholdMs: numeric(),
    attempts: optional(numeric()),
  }),
]);
/** How a job restarts after a failure (Flink's restart-strategy.*); decided in src/coordinator/restart-strategy.ts. */
export type RestartStrategyConfig = Static<typeof RestartStrategyConfigSchema>;

const StateBackendKindSchema = oneOf("heap", "lmdb");
export type StateBackendKind = Static<typeof StateBackendKindSchema>;

const JobConfigSchema = Type.Object({
  jobName: Type.String(),
  parallelism: int(),
  maxParallelism: int(),
  bufferTimeoutMs: numeric(),
  /** Sources emit latency markers this often (ms); 0 or absent: off. */
  latencyTrackingIntervalMs: optional(numeric()),
  /** Absent: checkpointing is off. */
  checkpointing: optional(CheckpointingConfigSchema),
  /** Absent: fixed-delay with effectively unlimited attempts when checkpointing is on, none otherwise (Flink's default). */
  restartStrategy: optional(RestartStrategyConfigSchema),
  /** Keyed state backend (default heap); lmdb keeps state on disk under `stateDir`. */
  stateBackend: optional(StateBackendKindSchema),
  stateDir: optional(Type.String()),
  /** LMDB only: checkpoints write what changed since the last one (a full snapshot every few). */
  incrementalCheckpoints: optional(Type.Boolean()),
});
export type JobConfig = Static<typeof JobConfigSchema>;

export const RestoreSettingsSchema = Type.Object({
  /** A savepoint directory, its _metadata file, or a checkpoint location. */
  location: Type.String(),
  /** Skip state that belongs to no operator of the new job instead of failing. */
  allowNonRestoredState: Type.Boolean(),
});
/** Where a new run's state comes from: a savepoint or retained checkpoint. */
export type RestoreSettings = Static<typeof RestoreSettingsSchema>;

const PartitionerSpecSchema = Type.Object({ kind: oneOf("forward", "rebalance", "rescale", "shuffle", "broadcast", "global", "hash", "custom") });
export type PartitionerSpec = Static<typeof PartitionerSpecSchema>;

const JobEdgeSpecSchema = Type.Object({
  id: Type.String(),
  source: Type.String(),
  target: Type.String(),
  partitioner: PartitionerSpecSchema,
  /** The stream node (in the source vertex) whose output feeds this edge, and the side-output tag if any. */
  sourceNode: int(),
  sideOutput: optional(Type.String()),
  targetNode: int(),
  inputIndex: int(),
});
/** An edge between two job vertices. `inputIndex` tells a two-input operator which side it feeds. */
export type JobEdgeSpec = Static<typeof JobEdgeSpecSchema>;

const JobVertexSpecSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parallelism: int(),
  maxParallelism: int(),
  /** Stream node ids chained into this vertex, head first. */
  nodes: Type.Array(int()),
  /** The operators' uids, in the order of `nodes`: state is matched to operators by uid. */
  operatorUids: Type.Array(Type.String()),
  isSource: Type.Boolean(),
  /** A source whose splits a split enumerator hands out (its Source has createEnumerator). */
  splitEnumerator: optional(Type.Boolean()),
  bufferTimeoutMs: numeric(),
  /** Subtasks of vertices in different slot-sharing groups never share a slot (unset: "default"). */
  slotSharingGroup: optional(Type.String()),
  /** A source whose watermark strategy aligns it with the other sources of `group` (FLIP-182). */
  watermarkAlignment: optional(Type.Object({ group: token(), maxDriftMs: numeric(), updateIntervalMs: numeric() })),
});
export type JobVertexSpec = Static<typeof JobVertexSpecSchema>;

export const JobGraphSpecSchema = Type.Object({
  jobName: Type.String(),
  /** A digest of the stream graph's shape, so a worker can tell it rebuilt the same job. */
  digest: Type.String(),
  vertices: Type.Array(JobVertexSpecSchema),
  edges: Type.Array(JobEdgeSpecSchema),
  config: JobConfigSchema,
});
export type JobGraphSpec = Static<typeof JobGraphSpecSchema>;
