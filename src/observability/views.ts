// What a running cluster says about itself: the shapes the job master, the dispatcher and the
// resource manager answer queries with, the REST API serves and the dashboard and CLI show.
// JSON schemas (TypeBox), so the REST API validates and documents what it sends.

import { Type, type Static } from "@sinclair/typebox";

const Nullable = <T extends ReturnType<typeof Type.Number>>(schema: T) => Type.Union([schema, Type.Null()]);

const L = Type.Literal;

export const TaskStateSchema = Type.Union([L("created"), L("deploying"), L("initializing"), L("running"), L("finished"), L("canceling"), L("canceled"), L("failed")]);

export const JobStatusSchema = Type.Union([L("created"), L("scheduling"), L("deploying"), L("running"), L("finished"), L("canceling"), L("canceled"), L("failing"), L("restarting"), L("failed")]);

/** One subtask's figures, counted per frame by its task and reported with the worker's heartbeats. */
export const SubtaskMetricsSchema = Type.Object({
  recordsIn: Type.Number(),
  recordsOut: Type.Number(),
  bytesIn: Type.Number(),
  bytesOut: Type.Number(),
  recordsInPerSecond: Type.Number(),
  recordsOutPerSecond: Type.Number(),
  /** Of each second lately: time spent processing input (Flink's busyTimeMsPerSecond). */
  busyMsPerSecond: Type.Number(),
  /** Of each second lately: time spent waiting for credit downstream (backPressuredTimeMsPerSecond). */
  backPressuredMsPerSecond: Type.Number(),
  idleMsPerSecond: Type.Number(),
  /** The lowest watermark over its inputs (event time, epoch ms); null before the first. */
  inputWatermark: Nullable(Type.Number()),
  outputWatermark: Nullable(Type.Number()),
  /** Frames received and not yet processed, over all input channels. */
  queuedFrames: Type.Number(),
  /** Frames waiting for credit, over all output channels. */
  framesAwaitingCredit: Type.Number(),
  uptimeMs: Type.Number(),
  /** When these figures were taken (epoch ms, the worker's clock). */
  at: Type.Number(),
});
export type SubtaskMetrics = Static<typeof SubtaskMetricsSchema>;

export const SubtaskViewSchema = Type.Object({
  index: Type.Integer(),
  attempt: Type.Integer(),
  state: TaskStateSchema,
  workerId: Type.Optional(Type.String()),
  metrics: Type.Union([SubtaskMetricsSchema, Type.Null()]),
});
export type SubtaskView = Static<typeof SubtaskViewSchema>;

/** A vertex's figures over its subtasks: sums of counts and rates, the worst busy/backpressure, the lowest watermark. */
export const VertexMetricsSchema = Type.Object({
  recordsIn: Type.Number(),
  recordsOut: Type.Number(),
  recordsInPerSecond: Type.Number(),
  recordsOutPerSecond: Type.Number(),
  busyMsPerSecond: Type.Number(),
  backPressuredMsPerSecond: Type.Number(),
  inputWatermark: Nullable(Type.Number()),
  outputWatermark: Nullable(Type.Number()),
});
export type VertexMetrics = Static<typeof VertexMetricsSchema>;

export const VertexViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parallelism: Type.Integer(),
  maxParallelism: Type.Integer(),
  isSource: Type.Boolean(),
  slotSharingGroup: Type.String(),
  /** Subtask count per task state. */
  states: Type.Record(Type.String(), Type.Integer()),
  metrics: VertexMetricsSchema,
  subtasks: Type.Array(SubtaskViewSchema),
});
export type VertexView = Static<typeof VertexViewSchema>;

export const EdgeViewSchema = Type.Object({
  id: Type.String(),
  source: Type.String(),
  target: Type.String(),
  partitioner: Type.String(),
  sideOutput: Type.Optional(Type.String()),
});

export const PlanViewSchema = Type.Object({ vertices: Type.Array(VertexViewSchema), edges: Type.Array(EdgeViewSchema) });

export const SubtaskCheckpointViewSchema = Type.Object({
  vertexId: Type.String(),
  subtaskIndex: Type.Integer(),
  syncMs: Type.Number(),
  asyncMs: Type.Number(),
  alignmentMs: Type.Number(),
  bytes: Type.Number(),
});
export type SubtaskCheckpointView = Static<typeof SubtaskCheckpointViewSchema>;

export const CheckpointViewSchema = Type.Object({
  id: Type.Integer(),
  /** `aborted`: still in flight when the job ended. */
  status: Type.Union([Type.Literal("in_progress"), Type.Literal("completed"), Type.Literal("failed"), Type.Literal("aborted")]),
  savepoint: Type.Boolean(),
  triggeredAt: Type.Number(),
  /** From trigger to completion (or to now, while in progress). */
  durationMs: Type.Number(),
  bytes: Type.Number(),
  maxAlignmentMs: Type.Number(),
  acknowledged: Type.Integer(),
  total: Type.Integer(),
  location: Type.Optional(Type.String()),
  failure: Type.Optional(Type.String()),
  subtasks: Type.Array(SubtaskCheckpointViewSchema),
});
export type CheckpointView = Static<typeof CheckpointViewSchema>;

export const CheckpointsViewSchema = Type.Object({
  /** `aborted` is absent from jobs an earlier version saved in the history. */
  counts: Type.Object({ completed: Type.Integer(), failed: Type.Integer(), aborted: Type.Optional(Type.Integer()), inProgress: Type.Integer() }),
  /** Newest first; the last few only. */
  history: Type.Array(CheckpointViewSchema),
});

export const ExceptionViewSchema = Type.Object({
  timestamp: Type.Number(),
  message: Type.String(),
  /** The failed task by its operators' name, e.g. `map "parse"[0]`. */
  task: Type.Optional(Type.String()),
  workerId: Type.Optional(Type.String()),
});
export type ExceptionView = Static<typeof ExceptionViewSchema>;

export const JobSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: JobStatusSchema,
  startTime: Type.Number(),
  endTime: Type.Optional(Type.Number()),
  durationMs: Type.Number(),
  parallelism: Type.Integer(),
  /** Subtask count per task state. */
  tasks: Type.Record(Type.String(), Type.Integer()),
  restarts: Type.Integer(),
  error: Type.Optional(Type.String()),
});
export type JobSummary = Static<typeof JobSummarySchema>;

export const JobDetailsSchema = Type.Composite([
  JobSummarySchema,
  Type.Object({
    plan: PlanViewSchema,
    checkpoints: CheckpointsViewSchema,
    exceptions: Type.Array(ExceptionViewSchema),
    /** The job's configuration as submitted (parallelism, checkpointing, restart strategy, state backend). */
    config: Type.Record(Type.String(), Type.Unknown()),
  }),
]);
export type JobDetails = Static<typeof JobDetailsSchema>;

export const WorkerViewSchema = Type.Object({
  id: Type.String(),
  host: Type.String(),
  pid: Type.Integer(),
  slots: Type.Integer(),
  usedSlots: Type.Integer(),
  lastHeartbeat: Type.Number(),
});
export type WorkerView = Static<typeof WorkerViewSchema>;

export const OverviewSchema = Type.Object({
  version: Type.String(),
  workers: Type.Integer(),
  slotsTotal: Type.Integer(),
  slotsAvailable: Type.Integer(),
  jobs: Type.Record(Type.String(), Type.Integer()),
});
export type Overview = Static<typeof OverviewSchema>;
