// Every message that crosses the bus, as discriminated unions on `type`, each with a version `v`.
// Receives nothing and sends nothing: the codec (codec.ts) turns these into bytes and back.
// Later protocols (splits) add members here under the same scheme.

import type { StateHandle, SubtaskStateMetadata, OperatorMetadata } from "./snapshot-handles.ts";

/** How a job restarts after a failure (Flink's restart-strategy.*); decided in src/coordinator/restart-strategy.ts. */
export type RestartStrategyConfig =
  | { kind: "none" }
  | { kind: "fixed-delay"; attempts: number; delayMs: number }
  | { kind: "failure-rate"; maxFailuresPerInterval: number; intervalMs: number; delayMs: number }
  | { kind: "exponential-delay"; initialBackoffMs: number; maxBackoffMs: number; multiplier: number; resetBackoffThresholdMs: number; attempts?: number };

/** Wire version of every message defined here. A message with another `v` is rejected. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------- data plane

export type StreamStatusValue = "idle" | "active";

/** One element of a data channel's ordered stream. Records travel in batches, never one per message. */
export type DataElement =
  /** `timestamps[i]` is the event time of `records[i]` (null: none); absent when no record has one. */
  | { kind: "records"; records: unknown[]; timestamps?: (number | null)[] }
  | { kind: "watermark"; timestamp: number }
  | { kind: "stream-status"; status: StreamStatusValue }
  /**
   * A checkpoint barrier; a savepoint's names the directory its state goes to. An unaligned
   * barrier travels as a priority frame (seq 0), ahead of the frames queued before it.
   */
  | { kind: "barrier"; checkpointId: number; timestamp: number; mode: CheckpointingMode; savepointDir?: string; unaligned?: boolean }
  | { kind: "latency-marker"; markedTime: number; sourceVertex: string; sourceSubtask: number }
  | { kind: "end-of-partition" };

/** A frame: what a producer publishes on one channel. `seq` starts at 1 and grows by one per frame. */
export interface Frame {
  type: "frame";
  v: number;
  seq: number;
  producer: number;
  elements: DataElement[];
}

/** Credits a consumer grants to one producer: the number of further frames it can buffer. */
export interface CreditGrant {
  type: "credit";
  v: number;
  consumer: number;
  credits: number;
}

// ---------------------------------------------------------------- control plane

/** Where a worker finds the code of a job. `module` paths must be readable by the worker. */
export type JobArtifact =
  | { kind: "module"; path: string; args: string[]; cwd: string; parallelism?: number }
  | { kind: "in-process"; key: string };

export type CheckpointingMode = "exactly-once" | "at-least-once";

/** Checkpointing as a job configures it (enableCheckpointing and the checkpoint config). */
export interface CheckpointingConfig {
  intervalMs: number;
  mode: CheckpointingMode;
  timeoutMs: number;
  minPauseMs: number;
  maxConcurrent: number;
  /** Consecutive failed checkpoints tolerated; one more fails the job. */
  tolerableFailures: number;
  /** Completed checkpoints kept (Flink's state.checkpoints.num-retained). */
  retained: number;
  /** Keep the retained checkpoints when the job is canceled (else they are deleted). */
  retainOnCancel: boolean;
  /** "jobmanager", "file:///dir" or "object-store://bucket" (see src/checkpoint/storage-spec.ts). */
  storage: string;
  /** Barriers overtake in-flight frames, which are stored with the snapshot (exactly-once only). */
  unaligned?: boolean;
  /** With `unaligned`: checkpoints start aligned and a subtask switches to unaligned once its alignment takes this long (ms). */
  alignedTimeoutMs?: number;
}

export type StateBackendKind = "heap" | "lmdb";

export interface JobConfig {
  jobName: string;
  parallelism: number;
  maxParallelism: number;
  bufferTimeoutMs: number;
  /** Sources emit latency markers this often (ms); 0 or absent: off. */
  latencyTrackingIntervalMs?: number;
  /** Absent: checkpointing is off. */
  checkpointing?: CheckpointingConfig;
  /** Absent: fixed-delay with effectively unlimited attempts when checkpointing is on, none otherwise (Flink's default). */
  restartStrategy?: RestartStrategyConfig;
  /** Keyed state backend (default heap); lmdb keeps state on disk under `stateDir`. */
  stateBackend?: StateBackendKind;
  stateDir?: string;
  /** LMDB only: checkpoints write what changed since the last one (a full snapshot every few). */
  incrementalCheckpoints?: boolean;
}

/** Where a new run's state comes from: a savepoint or retained checkpoint. */
export interface RestoreSettings {
  /** A savepoint directory, its _metadata file, or a checkpoint location. */
  location: string;
  /** Skip state that belongs to no operator of the new job instead of failing. */
  allowNonRestoredState: boolean;
}

export interface SubmitJob {
  type: "submit-job";
  v: number;
  jobId: string;
  artifact: JobArtifact;
  /** The job graph as built by the client; workers rebuild it from the artifact and compare digests. */
  jobGraph: JobGraphSpec;
  restoreFrom?: RestoreSettings;
}

export interface SubmitJobReply {
  type: "submit-job-reply";
  v: number;
  jobId: string;
  accepted: boolean;
  error?: string;
}

/** A job or subtask in one of these has ended for good. */
export function hasEnded(state: JobStatus | TaskState): boolean {
  return state === "finished" || state === "failed" || state === "canceled";
}

export type JobStatus =
  | "created"
  | "scheduling"
  | "deploying"
  | "running"
  | "finished"
  | "canceling"
  | "canceled"
  | "failing"
  | "restarting"
  | "failed";

/** Published by a job master whenever its job changes state; clients wait on it. */
export interface JobStatusChanged {
  type: "job-status";
  v: number;
  jobId: string;
  status: JobStatus;
  error?: string;
  timestamp: number;
  /** Set on `finished` when the job was stopped with this savepoint (without drain: its subtasks were canceled, not ended). */
  stoppedWithSavepoint?: string;
  /** Progress while the status lasts, for people to read (e.g. what scheduling is waiting for). */
  detail?: string;
}

export interface CancelJob {
  type: "cancel-job";
  v: number;
  jobId: string;
}

/** The job master's answer to cancel-job (request/reply): the cancellation has begun. */
export interface CancelJobReply {
  type: "cancel-job-reply";
  v: number;
  jobId: string;
}

export interface RegisterWorker {
  type: "register-worker";
  v: number;
  workerId: string;
  slots: number;
  host: string;
  pid: number;
}

export interface WorkerRegistered {
  type: "worker-registered";
  v: number;
  workerId: string;
  heartbeatIntervalMs: number;
}

export interface Heartbeat {
  type: "heartbeat";
  v: number;
  workerId: string;
  /** Total slots, so a resource manager that restarted can re-learn the worker from a heartbeat. */
  slots: number;
  /** Slots in use, so the resource manager can reconcile. */
  usedSlots: number;
  timestamp: number;
}

/** A request from a job master to the resource manager for slots. */
export interface RequestSlots {
  type: "request-slots";
  v: number;
  jobId: string;
  count: number;
}

export interface SlotGrant {
  workerId: string;
  slotIndex: number;
}

export interface SlotsReply {
  type: "slots-reply";
  v: number;
  jobId: string;
  slots: SlotGrant[];
  error?: string;
}

export interface ReleaseSlots {
  type: "release-slots";
  v: number;
  jobId: string;
}

/** Sent by a worker that is shutting down, so its slots are not offered again. */
export interface UnregisterWorker {
  type: "unregister-worker";
  v: number;
  workerId: string;
}

/**
 * Published by the resource manager when a worker stops heartbeating or unregisters; job masters
 * with slots there fail over.
 */
export interface WorkerLost {
  type: "worker-lost";
  v: number;
  workerId: string;
  jobIds: string[];
  /** unreachable: its connection is gone (nobody answers its ping subject), found within a second. */
  reason: "heartbeat-timeout" | "unregistered" | "unreachable";
}

/** Resource manager → worker (request/reply): is it still connected? Its absence is a lost worker. */
export interface WorkerPing {
  type: "worker-ping";
  v: number;
  workerId: string;
}

export interface WorkerPong {
  type: "worker-pong";
  v: number;
  workerId: string;
}

/** Identifies one execution of one subtask. */
export interface SubtaskId {
  jobId: string;
  vertexId: string;
  subtaskIndex: number;
  attempt: number;
}

/** What a deployed subtask restores: the old subtasks' handles that hold state of its operators. */
export interface TaskRestore {
  checkpointId: number;
  /** The subtask had finished when the checkpoint was taken: it ends at once (Flink's FINISHED_ON_RESTORE). */
  finished: boolean;
  operators: OperatorMetadata[];
  subtasks: SubtaskStateMetadata[];
}

export interface DeployTask {
  type: "deploy-task";
  v: number;
  task: SubtaskId;
  slotIndex: number;
  artifact: JobArtifact;
  jobGraph: JobGraphSpec;
  restore?: TaskRestore;
}

export interface CancelTask {
  type: "cancel-task";
  v: number;
  task: SubtaskId;
}

export type TaskState =
  | "created"
  | "deploying"
  | "initializing"
  | "running"
  | "finished"
  | "canceling"
  | "canceled"
  | "failed";

export interface TaskStateChanged {
  type: "task-state";
  v: number;
  task: SubtaskId;
  workerId: string;
  state: TaskState;
  error?: string;
}

/** Results of the collect sink, sent from sink subtasks to the client that submitted the job. */
export interface CollectBatch {
  type: "collect";
  v: number;
  jobId: string;
  sinkId: string;
  subtaskIndex: number;
  seq: number;
  records: unknown[];
  last: boolean;
}

// ---------------------------------------------------------------- checkpoints

/** Job master → source subtasks: inject barrier `checkpointId` now. */
export interface TriggerCheckpoint {
  type: "trigger-checkpoint";
  v: number;
  jobId: string;
  checkpointId: number;
  timestamp: number;
  mode: CheckpointingMode;
  savepointDir?: string;
  /** Stop-with-savepoint: after the barrier, sources end (drain: with a final +∞ watermark) or wait to be stopped. */
  stop?: "drain" | "terminate";
  /** Unaligned: the barrier overtakes queued frames (never for savepoints). */
  unaligned?: boolean;
}

export interface CheckpointStats {
  /** The synchronous part: capturing the state while input waits. */
  syncMs: number;
  /** Writing it while processing goes on. */
  asyncMs: number;
  /** From the first to the last barrier of the checkpoint at this subtask's inputs. */
  alignmentMs: number;
  bytes: number;
}

/** Subtask → job master: its snapshot of checkpoint `checkpointId` is stored. */
export interface CheckpointAck {
  type: "checkpoint-ack";
  v: number;
  jobId: string;
  checkpointId: number;
  task: SubtaskId;
  /** Absent when none of its operators has state. */
  handle?: StateHandle;
  operatorUids: string[];
  stats: CheckpointStats;
  /** Incremental: the earlier checkpoints whose state files this snapshot builds on. */
  references?: number[];
  /** The snapshot holds operator state or source splits (not only keyed state). */
  operatorState?: boolean;
  /** The snapshot holds union list state. */
  unionState?: boolean;
}

/** Subtask → job master: it could not take its part of checkpoint `checkpointId`. */
export interface CheckpointDecline {
  type: "checkpoint-decline";
  v: number;
  jobId: string;
  checkpointId: number;
  task: SubtaskId;
  reason: string;
}

/** Job master → subtasks: checkpoint `checkpointId` completed or was aborted. */
export interface CheckpointNotify {
  type: "checkpoint-notify";
  v: number;
  jobId: string;
  checkpointId: number;
  outcome: "complete" | "aborted";
}

/** Client → job master (request/reply): take a savepoint into `dir`, optionally stopping the job. */
export interface TriggerSavepoint {
  type: "trigger-savepoint";
  v: number;
  jobId: string;
  dir: string;
  stop?: "drain" | "terminate";
}

export interface SavepointReply {
  type: "savepoint-reply";
  v: number;
  jobId: string;
  location?: string;
  error?: string;
}

// ---------------------------------------------------------------- monitoring

/** One subtask's cumulative figures at one moment; rates are derived by whoever keeps two of them. */
export interface TaskSample {
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
  busyMs: number;
  backPressuredMs: number;
  /** -Infinity before the first watermark. */
  inputWatermark: number;
  outputWatermark: number;
  queuedFrames: number;
  framesAwaitingCredit: number;
  startedAt: number;
}

/** Worker → monitor, every heartbeat interval: the figures of its subtasks of one job. */
export interface TaskMetricsReport {
  type: "task-metrics";
  v: number;
  jobId: string;
  workerId: string;
  /** When the samples were taken (the worker's clock). */
  timestamp: number;
  tasks: { task: SubtaskId; sample: TaskSample }[];
}

/** Client → monitor (request/reply): what the cluster runs. */
export interface MonitorQuery {
  type: "monitor-query";
  v: number;
  what: "overview" | "workers" | "jobs" | "job";
  jobId?: string;
}

export interface MonitorReply {
  type: "monitor-reply";
  v: number;
  /** The view asked for (shapes in observability/views.ts); absent with `error`. */
  body?: unknown;
  error?: string;
  /** The job asked about is not known. */
  unknownJob?: boolean;
}

export type ControlMessage =
  | SubmitJob
  | SubmitJobReply
  | JobStatusChanged
  | CancelJob
  | CancelJobReply
  | RegisterWorker
  | UnregisterWorker
  | WorkerRegistered
  | Heartbeat
  | RequestSlots
  | SlotsReply
  | ReleaseSlots
  | WorkerLost
  | WorkerPing
  | WorkerPong
  | DeployTask
  | CancelTask
  | TaskStateChanged
  | CollectBatch
  | TriggerCheckpoint
  | CheckpointAck
  | CheckpointDecline
  | CheckpointNotify
  | TriggerSavepoint
  | SavepointReply
  | TaskMetricsReport
  | MonitorQuery
  | MonitorReply;

export type Message = ControlMessage | Frame | CreditGrant;
export type MessageType = Message["type"];

// ---------------------------------------------------------------- the job graph as it travels

export type PartitionerSpec =
  | { kind: "forward" }
  | { kind: "rebalance" }
  | { kind: "rescale" }
  | { kind: "shuffle" }
  | { kind: "broadcast" }
  | { kind: "global" }
  | { kind: "hash" }
  | { kind: "custom" };

/** An edge between two job vertices. `inputIndex` tells a two-input operator which side it feeds. */
export interface JobEdgeSpec {
  id: string;
  source: string;
  target: string;
  partitioner: PartitionerSpec;
  /** The stream node (in the source vertex) whose output feeds this edge, and the side-output tag if any. */
  sourceNode: number;
  sideOutput?: string;
  targetNode: number;
  inputIndex: number;
}

export interface JobVertexSpec {
  id: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
  /** Stream node ids chained into this vertex, head first. */
  nodes: number[];
  /** The operators' uids, in the order of `nodes`: state is matched to operators by uid. */
  operatorUids: string[];
  isSource: boolean;
  bufferTimeoutMs: number;
  /** Subtasks of vertices in different slot-sharing groups never share a slot (unset: "default"). */
  slotSharingGroup?: string;
}

export interface JobGraphSpec {
  jobName: string;
  vertices: JobVertexSpec[];
  edges: JobEdgeSpec[];
  /** A digest of the stream graph's shape, so a worker can tell it rebuilt the same job. */
  digest: string;
  config: JobConfig;
}
