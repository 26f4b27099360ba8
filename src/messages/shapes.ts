// The expected shape of every message type, used by the codec to validate what it decodes.
// Data frames are checked down to their element kinds; user records inside them are opaque.

import type { MessageType } from "./schema.ts";
import { arrayOf, object, oneOf, optional, variants, type Shape } from "./shape.ts";

const subtaskId = object({ jobId: "token", vertexId: "string", subtaskIndex: "int", attempt: "int" });

const artifact: Shape = object({ kind: oneOf("module", "in-process"), path: optional("string"), key: optional("string"), args: optional(arrayOf("string")), cwd: optional("string"), parallelism: optional("int") });

const jobGraph = object({
  jobName: "string",
  digest: "string",
  vertices: arrayOf(
    object({ id: "string", name: "string", parallelism: "int", maxParallelism: "int", nodes: arrayOf("int"), operatorUids: arrayOf("string"), isSource: "boolean", bufferTimeoutMs: "number", slotSharingGroup: optional("string") }),
  ),
  edges: arrayOf(
    object({
      id: "string",
      source: "string",
      target: "string",
      partitioner: object({ kind: oneOf("forward", "rebalance", "rescale", "shuffle", "broadcast", "global", "hash", "custom") }),
      sourceNode: "int",
      sideOutput: optional("string"),
      targetNode: "int",
      inputIndex: "int",
    }),
  ),
  config: object({
    jobName: "string",
    parallelism: "int",
    maxParallelism: "int",
    bufferTimeoutMs: "number",
    latencyTrackingIntervalMs: optional("number"),
    checkpointing: optional(
      object({
        intervalMs: "number",
        mode: oneOf("exactly-once", "at-least-once"),
        timeoutMs: "number",
        minPauseMs: "number",
        maxConcurrent: "int",
        tolerableFailures: "int",
        retained: "int",
        retainOnCancel: "boolean",
        storage: "string",
        unaligned: optional("boolean"),
        alignedTimeoutMs: optional("number"),
      }),
    ),
    restartStrategy: optional(object({ kind: oneOf("none", "fixed-delay", "failure-rate", "exponential-delay") })),
    stateBackend: optional(oneOf("heap", "lmdb")),
    stateDir: optional("string"),
    incrementalCheckpoints: optional("boolean"),
  }),
});

const checkpointMode = oneOf("exactly-once", "at-least-once");
const stateHandle = variants("kind", {
  inline: object({ bytes: "unknown", digest: "string" }),
  blob: object({ uri: "string", bytes: "int", digest: "string" }),
});
const subtaskState = object({ vertexId: "string", subtaskIndex: "int", operatorUids: arrayOf("string"), handle: optional(stateHandle), finished: optional("boolean"), references: optional(arrayOf("int")), operatorState: optional("boolean"), unionState: optional("boolean") });
const taskRestore = object({
  checkpointId: "int",
  finished: "boolean",
  operators: arrayOf(object({ uid: "string", name: "string", parallelism: "int", maxParallelism: "int" })),
  subtasks: arrayOf(subtaskState),
});
const stopMode = optional(oneOf("drain", "terminate"));

const element = variants("kind", {
  records: object({ records: "array", timestamps: optional("array") }),
  watermark: object({ timestamp: "number" }),
  "stream-status": object({ status: oneOf("idle", "active") }),
  barrier: object({ checkpointId: "int", timestamp: "number", mode: oneOf("exactly-once", "at-least-once"), savepointDir: optional("string"), unaligned: optional("boolean") }),
  "latency-marker": object({ markedTime: "number", sourceVertex: "string", sourceSubtask: "int" }),
  "end-of-partition": object({}),
});

const taskSample = object({
  recordsIn: "number",
  recordsOut: "number",
  bytesIn: "number",
  bytesOut: "number",
  busyMs: "number",
  backPressuredMs: "number",
  inputWatermark: "number",
  outputWatermark: "number",
  queuedFrames: "int",
  framesAwaitingCredit: "int",
  startedAt: "number",
});

const taskState = oneOf("created", "deploying", "initializing", "running", "finished", "canceling", "canceled", "failed");
const jobStatus = oneOf("created", "scheduling", "deploying", "running", "finished", "canceling", "canceled", "failing", "restarting", "failed");

/** Fields beyond `type` and `v`, per message type. */
export const MESSAGE_SHAPES: Record<MessageType, Shape> = {
  frame: object({ seq: "int", producer: "int", elements: arrayOf(element) }),
  credit: object({ consumer: "int", credits: "int" }),
  "submit-job": object({ jobId: "token", artifact, jobGraph, restoreFrom: optional(object({ location: "string", allowNonRestoredState: "boolean" })) }),
  "submit-job-reply": object({ jobId: "token", accepted: "boolean", error: optional("string") }),
  "job-status": object({ jobId: "token", status: jobStatus, error: optional("string"), timestamp: "number", stoppedWithSavepoint: optional("string"), detail: optional("string") }),
  "cancel-job": object({ jobId: "token" }),
  "cancel-job-reply": object({ jobId: "token" }),
  "register-worker": object({ workerId: "token", slots: "int", host: "string", pid: "int" }),
  "worker-registered": object({ workerId: "token", heartbeatIntervalMs: "int" }),
  heartbeat: object({ workerId: "token", slots: "int", usedSlots: "int", timestamp: "number" }),
  "request-slots": object({ jobId: "token", count: "int" }),
  "slots-reply": object({ jobId: "token", slots: arrayOf(object({ workerId: "token", slotIndex: "int" })), error: optional("string") }),
  "release-slots": object({ jobId: "token" }),
  "worker-lost": object({ workerId: "token", jobIds: arrayOf("string"), reason: oneOf("heartbeat-timeout", "unregistered", "unreachable") }),
  "worker-ping": object({ workerId: "token" }),
  "worker-pong": object({ workerId: "token" }),
  "unregister-worker": object({ workerId: "token" }),
  "deploy-task": object({ task: subtaskId, slotIndex: "int", artifact, jobGraph, restore: optional(taskRestore) }),
  "cancel-task": object({ task: subtaskId }),
  "task-state": object({ task: subtaskId, workerId: "token", state: taskState, error: optional("string") }),
  collect: object({ jobId: "token", sinkId: "string", subtaskIndex: "int", seq: "int", records: "array", last: "boolean" }),
  "trigger-checkpoint": object({ jobId: "token", checkpointId: "int", timestamp: "number", mode: checkpointMode, savepointDir: optional("string"), stop: stopMode, unaligned: optional("boolean") }),
  "checkpoint-ack": object({
    jobId: "token",
    checkpointId: "int",
    task: subtaskId,
    handle: optional(stateHandle),
    operatorUids: arrayOf("string"),
    stats: object({ syncMs: "number", asyncMs: "number", alignmentMs: "number", bytes: "int" }),
    references: optional(arrayOf("int")),
    operatorState: optional("boolean"),
    unionState: optional("boolean"),
  }),
  "checkpoint-decline": object({ jobId: "token", checkpointId: "int", task: subtaskId, reason: "string" }),
  "checkpoint-notify": object({ jobId: "token", checkpointId: "int", outcome: oneOf("complete", "aborted") }),
  "trigger-savepoint": object({ jobId: "token", dir: "string", stop: stopMode }),
  "savepoint-reply": object({ jobId: "token", location: optional("string"), error: optional("string") }),
  "task-metrics": object({ jobId: "token", workerId: "token", timestamp: "number", tasks: arrayOf(object({ task: subtaskId, sample: taskSample })) }),
  "monitor-query": object({ what: oneOf("overview", "workers", "jobs", "job"), jobId: optional("token") }),
  "monitor-reply": object({ body: optional("unknown"), error: optional("string"), unknownJob: optional("boolean") }),
};
