// Every message that crosses the bus, as discriminated unions on `type`, each with a version `v`.
// Each message is defined once, as a TypeBox schema; its TypeScript type is derived from it, and the
// codec (codec.ts) checks decoded messages with the same schema. Receives nothing and sends nothing.
// A new protocol adds members here under the same scheme: a schema, its type, an entry in
// MESSAGE_SCHEMAS.

import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { CheckpointingModeSchema, JobArtifactSchema, JobGraphSpecSchema, RestoreSettingsSchema } from "./job-spec.ts";
import { OperatorMetadataSchema, StateHandleSchema, SubtaskStateMetadataSchema } from "./snapshot-handles.ts";
import { int, numeric, oneOf, opaqueArray, optional, token } from "./wire-types.ts";

export type {
  CheckpointingConfig,
  CheckpointingMode,
  JobArtifact,
  JobConfig,
  JobEdgeSpec,
  JobGraphSpec,
  JobVertexSpec,
  PartitionerSpec,
  RestartStrategyConfig,
  RestoreSettings,
  StateBackendKind,
} from "./job-spec.ts";

/** Wire version of every message defined here. A message with another `v` is rejected. */
export const PROTOCOL_VERSION = 2;

/** The fields every message starts with: its type and the protocol version. */
const header = <T extends string>(type: T) => ({ type: Type.Literal(type), v: int() });

// ---------------------------------------------------------------- data plane

const StreamStatusValueSchema = oneOf("idle", "active");
export type StreamStatusValue = Static<typeof StreamStatusValueSchema>;

/** Checked by `kind`; user records and their timestamps only as arrays, so a frame's check does no per-record work. */
const DataElementSchema = Type.Union([
  /** `timestamps[i]` is the event time of `records[i]` (null: none); absent when no record has one. */
  Type.Object({ kind: Type.Literal("records"), records: opaqueArray(), timestamps: optional(opaqueArray<number | null>()) }),
  Type.Object({ kind: Type.Literal("watermark"), timestamp: numeric() }),
  Type.Object({ kind: Type.Literal("stream-status"), status: StreamStatusValueSchema }),
  /**
   * A checkpoint barrier; a savepoint's names the directory its state goes to. An unaligned
   * barrier travels as a priority frame (seq 0), ahead of the frames queued before it.
   */
  Type.Object({
    kind: Type.Literal("barrier"),
    checkpointId: int(),
    timestamp: numeric(),
    mode: CheckpointingModeSchema,
    savepointDir: optional(Type.String()),
    unaligned: optional(Type.Boolean()),
  }),
  Type.Object({ kind: Type.Literal("latency-marker"), markedTime: numeric(), sourceVertex: Type.String(), sourceSubtask: int() }),
  Type.Object({ kind: Type.Literal("end-of-partition") }),
]);
/** One element of a data channel's ordered stream. Records travel in batches, never one per message. */
export type DataElement = Static<typeof DataElementSchema>;

/** A deployment's channel token (deployment-binding.ts): 32 hex digits. */
const channelTokenField = () => Type.String({ maxLength: 64 });

const FrameSchema = Type.Object({ ...header("frame"), seq: int(), producer: int(), token: channelTokenField(), elements: Type.Array(DataElementSchema) });
/**
 * A frame: what a producer publishes on one channel. `seq` starts at 1 and grows by one per frame;
 * `token` is its attempt's channel token: a frame with another is a stranger's, rejected unsequenced.
 */
export type Frame = Static<typeof FrameSchema>;

const CreditGrantSchema = Type.Object({ ...header("credit"), consumer: int(), credits: int(), token: channelTokenField() });
/** Credits a consumer grants to one producer: the number of further frames it can buffer. `token` as in frames. */
export type CreditGrant = Static<typeof CreditGrantSchema>;

// ---------------------------------------------------------------- control plane

const SubmitJobSchema = Type.Object({
  ...header("submit-job"),
  jobId: token(),
  artifact: JobArtifactSchema,
  /** The job graph as built by the client; workers rebuild it from the artifact and compare digests. */
  jobGraph: JobGraphSpecSchema,
  restoreFrom: optional(RestoreSettingsSchema),
  /** Drawn by the client: the job's channel tokens and collect key are derived from it (deployment-binding.ts). */
  secret: Type.String({ minLength: 16, maxLength: 64 }),
});
export type SubmitJob = Static<typeof SubmitJobSchema>;

const SubmitJobReplySchema = Type.Object({ ...header("submit-job-reply"), jobId: token(), accepted: Type.Boolean(), error: optional(Type.String()) });
export type SubmitJobReply = Static<typeof SubmitJobReplySchema>;

const JobStatusSchema = oneOf("created", "scheduling", "deploying", "running", "finished", "canceling", "canceled", "failing", "restarting", "failed");
export type JobStatus = Static<typeof JobStatusSchema>;

const TaskStateSchema = oneOf("created", "deploying", "initializing", "running", "finished", "canceling", "canceled", "failed");
export type TaskState = Static<typeof TaskStateSchema>;

/** A job or subtask in one of these has ended for good. */
export function hasEnded(state: JobStatus | TaskState): boolean {
  return state === "finished" || state === "failed" || state === "canceled";
}

const JobStatusChangedSchema = Type.Object({
  ...header("job-status"),
  jobId: token(),
  status: JobStatusSchema,
  error: optional(Type.String()),
  timestamp: numeric(),
  /** Set on `finished` when the job was stopped with this savepoint (without drain: its subtasks were canceled, not ended). */
  stoppedWithSavepoint: optional(Type.String()),
  /** Progress while the status lasts, for people to read (e.g. what scheduling is waiting for). */
  detail: optional(Type.String()),
  /** Set when the job was rescaled: the graph (with its new parallelism) the job runs from now on. */
  jobGraph: optional(JobGraphSpecSchema),
});
/** Published by a job master whenever its job changes state; clients wait on it. */
export type JobStatusChanged = Static<typeof JobStatusChangedSchema>;

const CancelJobSchema = Type.Object({ ...header("cancel-job"), jobId: token() });
export type CancelJob = Static<typeof CancelJobSchema>;

const CancelJobReplySchema = Type.Object({ ...header("cancel-job-reply"), jobId: token() });
/** The job master's answer to cancel-job (request/reply): the cancellation has begun. */
export type CancelJobReply = Static<typeof CancelJobReplySchema>;

const RescaleJobSchema = Type.Object({ ...header("rescale-job"), jobId: token(), parallelism: int(), savepointDir: optional(Type.String()) });
/** Client → job master (request/reply): run the job at `parallelism`, through a savepoint into `savepointDir` (absolute). */
export type RescaleJob = Static<typeof RescaleJobSchema>;

const RescaleJobReplySchema = Type.Object({ ...header("rescale-job-reply"), jobId: token(), parallelism: optional(int()), error: optional(Type.String()) });
/** The job master's answer to rescale-job: the job runs at `parallelism` again, or why it was not rescaled. */
export type RescaleJobReply = Static<typeof RescaleJobReplySchema>;

const RegisterWorkerSchema = Type.Object({ ...header("register-worker"), workerId: token(), slots: int(), host: Type.String(), pid: int() });
export type RegisterWorker = Static<typeof RegisterWorkerSchema>;

const WorkerRegisteredSchema = Type.Object({ ...header("worker-registered"), workerId: token(), heartbeatIntervalMs: int() });
export type WorkerRegistered = Static<typeof WorkerRegisteredSchema>;

const HeartbeatSchema = Type.Object({
  ...header("heartbeat"),
  workerId: token(),
  /** Total slots, so a resource manager that restarted can re-learn the worker from a heartbeat. */
  slots: int(),
  /** Slots in use, so the resource manager can reconcile. */
  usedSlots: int(),
  timestamp: numeric(),
});
export type Heartbeat = Static<typeof HeartbeatSchema>;

const RequestSlotsSchema = Type.Object({ ...header("request-slots"), jobId: token(), count: int(), upTo: optional(Type.Boolean()) });
/** A request from a job master to the resource manager for slots. */
export type RequestSlots = Static<typeof RequestSlotsSchema>;

const SlotGrantSchema = Type.Object({ workerId: token(), slotIndex: int() });
export type SlotGrant = Static<typeof SlotGrantSchema>;

const SlotsReplySchema = Type.Object({ ...header("slots-reply"), jobId: token(), slots: Type.Array(SlotGrantSchema), error: optional(Type.String()), free: optional(int()) });
export type SlotsReply = Static<typeof SlotsReplySchema>;

const ReleaseSlotsSchema = Type.Object({ ...header("release-slots"), jobId: token() });
export type ReleaseSlots = Static<typeof ReleaseSlotsSchema>;

const UnregisterWorkerSchema = Type.Object({ ...header("unregister-worker"), workerId: token() });
/** Sent by a worker that is shutting down, so its slots are not offered again. */
export type UnregisterWorker = Static<typeof UnregisterWorkerSchema>;

const WorkerLostSchema = Type.Object({
  ...header("worker-lost"),
  workerId: token(),
  jobIds: Type.Array(Type.String()),
  /**
   * unreachable: its connection is gone (nobody answers its ping subject), found within a second;
   * unresponsive: a job master reported that it did not acknowledge subtasks deployed there in time.
   */
  reason: oneOf("heartbeat-timeout", "unregistered", "unreachable", "unresponsive"),
});
/**
 * Published by the resource manager when a worker stops heartbeating or unregisters; job masters
 * with slots there fail over.
 */
export type WorkerLost = Static<typeof WorkerLostSchema>;

const WorkerUnresponsiveSchema = Type.Object({ ...header("worker-unresponsive"), workerId: token(), jobId: token(), subtasks: int() });
/**
 * Job master → resource manager: `subtasks` deployed on the worker were not acknowledged in time.
 * The resource manager declares the worker lost and offers no slots on it for a while.
 */
export type WorkerUnresponsive = Static<typeof WorkerUnresponsiveSchema>;

const WorkerPingSchema = Type.Object({ ...header("worker-ping"), workerId: token() });
/** Resource manager → worker (request/reply): is it still connected? Its absence is a lost worker. */
export type WorkerPing = Static<typeof WorkerPingSchema>;

const WorkerPongSchema = Type.Object({ ...header("worker-pong"), workerId: token() });
export type WorkerPong = Static<typeof WorkerPongSchema>;

const SubtaskIdSchema = Type.Object({ jobId: token(), vertexId: Type.String(), subtaskIndex: int(), attempt: int() });
/** Identifies one execution of one subtask. */
export type SubtaskId = Static<typeof SubtaskIdSchema>;

const TaskRestoreSchema = Type.Object({
  checkpointId: int(),
  /** The subtask had finished when the checkpoint was taken: it ends at once (Flink's FINISHED_ON_RESTORE). */
  finished: Type.Boolean(),
  operators: Type.Array(OperatorMetadataSchema),
  subtasks: Type.Array(SubtaskStateMetadataSchema),
});
/** What a deployed subtask restores: the old subtasks' handles that hold state of its operators. */
export type TaskRestore = Static<typeof TaskRestoreSchema>;

const DeployTaskSchema = Type.Object({
  ...header("deploy-task"),
  task: SubtaskIdSchema,
  slotIndex: int(),
  artifact: JobArtifactSchema,
  jobGraph: JobGraphSpecSchema,
  restore: optional(TaskRestoreSchema),
  /** The token of this attempt's frames and credits: the subtask sends it and accepts only it. */
  channelToken: channelTokenField(),
  /** The key a collect sink signs its batches with. */
  collectKey: channelTokenField(),
  /** The sending job manager's leader epoch (leader-fence.ts); absent without leader election. */
  epoch: optional(int()),
});
export type DeployTask = Static<typeof DeployTaskSchema>;

const CancelTaskSchema = Type.Object({ ...header("cancel-task"), task: SubtaskIdSchema, epoch: optional(int()) });
export type CancelTask = Static<typeof CancelTaskSchema>;

const TaskStateChangedSchema = Type.Object({
  ...header("task-state"),
  task: SubtaskIdSchema,
  workerId: token(),
  state: TaskStateSchema,
  error: optional(Type.String()),
  /** With `failed`: no restart can cure the failure (an UnrecoverableError), so the job fails at once. */
  unrecoverable: optional(Type.Boolean()),
});
export type TaskStateChanged = Static<typeof TaskStateChangedSchema>;

const CollectBatchSchema = Type.Object({
  ...header("collect"),
  jobId: token(),
  sinkId: Type.String(),
  subtaskIndex: int(),
  seq: int(),
  records: opaqueArray(),
  last: Type.Boolean(),
  /** The batch's signature with the job's collect key: the client drops a batch whose signature is wrong. */
  mac: channelTokenField(),
});
/** Results of the collect sink, sent from sink subtasks to the client that submitted the job. */
export type CollectBatch = Static<typeof CollectBatchSchema>;

// ---------------------------------------------------------------- checkpoints

const stopMode = () => optional(oneOf("drain", "terminate"));

const TriggerCheckpointSchema = Type.Object({
  ...header("trigger-checkpoint"),
  jobId: token(),
  checkpointId: int(),
  timestamp: numeric(),
  mode: CheckpointingModeSchema,
  savepointDir: optional(Type.String()),
  /** Stop-with-savepoint: after the barrier, sources end (drain: with a final +∞ watermark) or wait to be stopped. */
  stop: stopMode(),
  /** Unaligned: the barrier overtakes queued frames (never for savepoints). */
  unaligned: optional(Type.Boolean()),
  epoch: optional(int()),
});
/** Job master → source subtasks: inject barrier `checkpointId` now. */
export type TriggerCheckpoint = Static<typeof TriggerCheckpointSchema>;

const CheckpointStatsSchema = Type.Object({
  /** The synchronous part: capturing the state while input waits. */
  syncMs: numeric(),
  /** Writing it while processing goes on. */
  asyncMs: numeric(),
  /** From the first to the last barrier of the checkpoint at this subtask's inputs. */
  alignmentMs: numeric(),
  bytes: int(),
});
export type CheckpointStats = Static<typeof CheckpointStatsSchema>;

const CheckpointAckSchema = Type.Object({
  ...header("checkpoint-ack"),
  jobId: token(),
  checkpointId: int(),
  task: SubtaskIdSchema,
  /** Absent when none of its operators has state. */
  handle: optional(StateHandleSchema),
  operatorUids: Type.Array(Type.String()),
  stats: CheckpointStatsSchema,
  /** Incremental: the earlier checkpoints whose state files this snapshot builds on. */
  references: optional(Type.Array(int())),
  /** The snapshot holds operator state or source splits (not only keyed state). */
  operatorState: optional(Type.Boolean()),
  /** The snapshot holds union list state. */
  unionState: optional(Type.Boolean()),
});
/** Subtask → job master: its snapshot of checkpoint `checkpointId` is stored. */
export type CheckpointAck = Static<typeof CheckpointAckSchema>;

const CheckpointDeclineSchema = Type.Object({ ...header("checkpoint-decline"), jobId: token(), checkpointId: int(), task: SubtaskIdSchema, reason: Type.String() });
/** Subtask → job master: it could not take its part of checkpoint `checkpointId`. */
export type CheckpointDecline = Static<typeof CheckpointDeclineSchema>;

const EndOfDataSchema = Type.Object({ ...header("end-of-data"), jobId: token(), task: SubtaskIdSchema });
/** Subtask → job master (sent again, up to every second, until it ends): it reached the end of its input and waits for a checkpoint of its state after it (the final checkpoint). */
export type EndOfData = Static<typeof EndOfDataSchema>;

const CheckpointNotifySchema = Type.Object({ ...header("checkpoint-notify"), jobId: token(), checkpointId: int(), outcome: oneOf("complete", "aborted"), epoch: optional(int()) });
/** Job master → subtasks: checkpoint `checkpointId` completed or was aborted. */
export type CheckpointNotify = Static<typeof CheckpointNotifySchema>;

const TriggerSavepointSchema = Type.Object({ ...header("trigger-savepoint"), jobId: token(), dir: Type.String(), stop: stopMode() });
/** Client → job master (request/reply): take a savepoint into `dir`, optionally stopping the job. */
export type TriggerSavepoint = Static<typeof TriggerSavepointSchema>;

const SavepointReplySchema = Type.Object({ ...header("savepoint-reply"), jobId: token(), location: optional(Type.String()), error: optional(Type.String()) });
export type SavepointReply = Static<typeof SavepointReplySchema>;

// ---------------------------------------------------------------- splits (FLIP-27 sources)

/**
 * The fields of every split message: the reader's subtask execution and its attempt's channel
 * token (deployment-binding.ts), so a stranger or an earlier attempt cannot speak for a reader.
 */
const splitHeader = <T extends string>(type: T) => ({ ...header(type), task: SubtaskIdSchema, token: channelTokenField() });

const ReaderRegistrationSchema = Type.Object({ ...splitHeader("reader-registration") });
/** Source reader → its enumerator: the reader has started (its enumerator's `addReader`). */
export type ReaderRegistration = Static<typeof ReaderRegistrationSchema>;

const SplitRequestSchema = Type.Object({ ...splitHeader("split-request") });
/** Source reader → its enumerator: it asks for splits (`handleSplitRequest`). */
export type SplitRequest = Static<typeof SplitRequestSchema>;

const ReaderEventSchema = Type.Object({ ...splitHeader("reader-event"), event: Type.Unknown() });
/** Source reader → its enumerator: a source event (`handleSourceEvent`). */
export type ReaderEvent = Static<typeof ReaderEventSchema>;

/** `seq` numbers an enumerator's messages to one reader execution from 1: a gap fails the reader, so none is lost silently. */
const toReader = <T extends string>(type: T) => ({ ...splitHeader(type), seq: int() });

const SplitAssignmentSchema = Type.Object({ ...toReader("split-assignment"), splits: opaqueArray() });
/** Enumerator → one source reader: splits to read (`addSplits`). */
export type SplitAssignment = Static<typeof SplitAssignmentSchema>;

const NoMoreSplitsSchema = Type.Object({ ...toReader("no-more-splits") });
/** Enumerator → one source reader: it gets no more splits (`notifyNoMoreSplits`). */
export type NoMoreSplits = Static<typeof NoMoreSplitsSchema>;

const EnumeratorEventSchema = Type.Object({ ...toReader("enumerator-event"), event: Type.Unknown() });
/** Enumerator → one source reader: a source event (`handleSourceEvent`). */
export type EnumeratorEvent = Static<typeof EnumeratorEventSchema>;

/** What a source reader sends its enumerator. */
export type ReaderToEnumerator = ReaderRegistration | SplitRequest | ReaderEvent;
/** What an enumerator sends one reader. */
export type EnumeratorToReader = SplitAssignment | NoMoreSplits | EnumeratorEvent;

// ---------------------------------------------------------------- watermark alignment (FLIP-182)

const WatermarkReportSchema = Type.Object({
  ...splitHeader("watermark-report"),
  group: token(),
  /** The reader's current watermark (-Infinity before its first). */
  watermark: numeric(),
  /** An idle or finished reader does not hold its group back. */
  status: oneOf("active", "idle", "finished"),
});
/** Source reader → its alignment group's coordinator, every update interval and when it pauses or ends. */
export type WatermarkReport = Static<typeof WatermarkReportSchema>;

const WatermarkBoundSchema = Type.Object({ ...header("watermark-bound"), jobId: token(), group: token(), maxAllowedWatermark: numeric() });
/** Alignment coordinator → every reader of a group: read on only while your watermark is at most this. */
export type WatermarkBound = Static<typeof WatermarkBoundSchema>;

// ---------------------------------------------------------------- monitoring

const TaskSampleSchema = Type.Object({
  recordsIn: numeric(),
  recordsOut: numeric(),
  bytesIn: numeric(),
  bytesOut: numeric(),
  busyMs: numeric(),
  backPressuredMs: numeric(),
  /** -Infinity before the first watermark. */
  inputWatermark: numeric(),
  outputWatermark: numeric(),
  queuedFrames: int(),
  framesAwaitingCredit: int(),
  startedAt: numeric(),
});
/** One subtask's cumulative figures at one moment; rates are derived by whoever keeps two of them. */
export type TaskSample = Static<typeof TaskSampleSchema>;

const TaskMetricsReportSchema = Type.Object({
  ...header("task-metrics"),
  jobId: token(),
  workerId: token(),
  /** When the samples were taken (the worker's clock). */
  timestamp: numeric(),
  tasks: Type.Array(Type.Object({ task: SubtaskIdSchema, sample: TaskSampleSchema })),
});
/** Worker → monitor, every heartbeat interval: the figures of its subtasks of one job. */
export type TaskMetricsReport = Static<typeof TaskMetricsReportSchema>;

const MonitorQuerySchema = Type.Object({ ...header("monitor-query"), what: oneOf("overview", "workers", "jobs", "job"), jobId: optional(token()) });
/** Client → monitor (request/reply): what the cluster runs. */
export type MonitorQuery = Static<typeof MonitorQuerySchema>;

const MonitorReplySchema = Type.Object({
  ...header("monitor-reply"),
  /** The view asked for (shapes in observability/views.ts); absent with `error`. */
  body: optional(Type.Unknown()),
  error: optional(Type.String()),
  /** The job asked about is not known. */
  unknownJob: optional(Type.Boolean()),
});
export type MonitorReply = Static<typeof MonitorReplySchema>;

// ---------------------------------------------------------------- every message

/** The schema of every message type: the codec decides with these what it accepts. */
export const MESSAGE_SCHEMAS = {
  frame: FrameSchema,
  credit: CreditGrantSchema,
  "submit-job": SubmitJobSchema,
  "submit-job-reply": SubmitJobReplySchema,
  "job-status": JobStatusChangedSchema,
  "cancel-job": CancelJobSchema,
  "cancel-job-reply": CancelJobReplySchema,
  "rescale-job": RescaleJobSchema,
  "rescale-job-reply": RescaleJobReplySchema,
  "register-worker": RegisterWorkerSchema,
  "worker-registered": WorkerRegisteredSchema,
  heartbeat: HeartbeatSchema,
  "request-slots": RequestSlotsSchema,
  "slots-reply": SlotsReplySchema,
  "release-slots": ReleaseSlotsSchema,
  "worker-lost": WorkerLostSchema,
  "worker-unresponsive": WorkerUnresponsiveSchema,
  "worker-ping": WorkerPingSchema,
  "worker-pong": WorkerPongSchema,
  "unregister-worker": UnregisterWorkerSchema,
  "deploy-task": DeployTaskSchema,
  "cancel-task": CancelTaskSchema,
  "task-state": TaskStateChangedSchema,
  collect: CollectBatchSchema,
  "trigger-checkpoint": TriggerCheckpointSchema,
  "checkpoint-ack": CheckpointAckSchema,
  "checkpoint-decline": CheckpointDeclineSchema,
  "end-of-data": EndOfDataSchema,
  "checkpoint-notify": CheckpointNotifySchema,
  "trigger-savepoint": TriggerSavepointSchema,
  "savepoint-reply": SavepointReplySchema,
  "reader-registration": ReaderRegistrationSchema,
  "split-request": SplitRequestSchema,
  "reader-event": ReaderEventSchema,
  "split-assignment": SplitAssignmentSchema,
  "no-more-splits": NoMoreSplitsSchema,
  "enumerator-event": EnumeratorEventSchema,
  "watermark-report": WatermarkReportSchema,
  "watermark-bound": WatermarkBoundSchema,
  "task-metrics": TaskMetricsReportSchema,
  "monitor-query": MonitorQuerySchema,
  "monitor-reply": MonitorReplySchema,
} satisfies { [T in MessageType]: TSchema & { properties: { type: { const: T } } } };

export type ControlMessage =
  | SubmitJob
  | SubmitJobReply
  | JobStatusChanged
  | CancelJob
  | CancelJobReply
  | RescaleJob
  | RescaleJobReply
  | RegisterWorker
  | UnregisterWorker
  | WorkerRegistered
  | Heartbeat
  | RequestSlots
  | SlotsReply
  | ReleaseSlots
  | WorkerLost
  | WorkerUnresponsive
  | WorkerPing
  | WorkerPong
  | DeployTask
  | CancelTask
  | TaskStateChanged
  | CollectBatch
  | TriggerCheckpoint
  | CheckpointAck
  | CheckpointDecline
  | EndOfData
  | CheckpointNotify
  | TriggerSavepoint
  | SavepointReply
  | ReaderToEnumerator
  | EnumeratorToReader
  | WatermarkReport
  | WatermarkBound
  | TaskMetricsReport
  | MonitorQuery
  | MonitorReply;

export type Message = ControlMessage | Frame | CreditGrant;
export type MessageType = Message["type"];
