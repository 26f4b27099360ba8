// One valid message of every type in the schema: the seeds the fuzzer mutates. The mapped type
// makes the compiler insist on a sample for every MessageType, and samples.test.ts checks the list
// against the codec's schemas at run time, so a new message type cannot be left out of the fuzzing.
// Ids are foreign on purpose (no job or worker of a fuzzed cluster has them).

import { PROTOCOL_VERSION, type DataElement, type JobGraphSpec, type Message, type MessageType, type SubtaskId } from "../../src/messages/schema.ts";

export const FOREIGN_JOB = "fuzz-foreign-job";
export const FOREIGN_WORKER = "fuzz-foreign-worker";

const v = PROTOCOL_VERSION;
const task: SubtaskId = { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 };

const jobGraph: JobGraphSpec = {
  jobName: "fuzzed",
  digest: "00ff00ff00ff00ff",
  vertices: [
    { id: "fv1", name: "Source -> Map", parallelism: 1, maxParallelism: 128, nodes: [1, 2], operatorUids: ["auto-1", "auto-2"], isSource: true, bufferTimeoutMs: 100, slotSharingGroup: "default" },
    { id: "fv3", name: "Sum", parallelism: 2, maxParallelism: 128, nodes: [3], operatorUids: ["auto-3"], isSource: false, bufferTimeoutMs: 100 },
  ],
  edges: [{ id: "fe0", source: "fv1", target: "fv3", partitioner: { kind: "hash" }, sourceNode: 2, sideOutput: "late", targetNode: 3, inputIndex: 0 }],
  config: {
    jobName: "fuzzed",
    parallelism: 2,
    maxParallelism: 128,
    bufferTimeoutMs: 100,
    latencyTrackingIntervalMs: 0,
    checkpointing: { intervalMs: 100, mode: "exactly-once", timeoutMs: 1000, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, retained: 1, retainOnCancel: false, storage: "jobmanager", unaligned: false, alignedTimeoutMs: 0 },
    restartStrategy: { kind: "none" },
    stateBackend: "heap",
    incrementalCheckpoints: false,
  },
};

const elements: DataElement[] = [
  { kind: "records", records: [1, "two", { three: [3] }, null, true, 4.5], timestamps: [1, null, 3, 4, 5, 6] },
  { kind: "watermark", timestamp: 1_700_000_000_000 },
  { kind: "stream-status", status: "idle" },
  { kind: "latency-marker", markedTime: 99, sourceVertex: "fv1", sourceSubtask: 0 },
  { kind: "barrier", checkpointId: 7, timestamp: 12, mode: "exactly-once", savepointDir: "/tmp/sp", unaligned: false },
  { kind: "end-of-partition" },
];

const restore = {
  checkpointId: 3,
  finished: false,
  operators: [{ uid: "auto-3", name: "Sum", parallelism: 2, maxParallelism: 128 }],
  subtasks: [{ vertexId: "fv3", subtaskIndex: 0, operatorUids: ["auto-3"], handle: { kind: "inline" as const, bytes: Buffer.from([1, 2, 3]), digest: "ab" }, finished: false, references: [1, 2] }],
};

/** A valid, versioned message of every type, as the codec would decode it. */
export const SAMPLES: { [T in MessageType]: Extract<Message, { type: T }> } = {
  frame: { type: "frame", v, seq: 1, producer: 0, token: "0123456789abcdef0123456789abcdef", elements },
  credit: { type: "credit", v, consumer: 0, credits: 8, token: "0123456789abcdef0123456789abcdef" },
  "submit-job": { type: "submit-job", v, jobId: FOREIGN_JOB, artifact: { kind: "bundle", digest: "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", module: "job.ts", args: ["--x"], cwd: "/nonexistent", parallelism: 2 }, jobGraph, restoreFrom: { location: "/nonexistent/sp", allowNonRestoredState: true }, secret: "0123456789abcdef0123456789abcdef" },
  "submit-job-reply": { type: "submit-job-reply", v, jobId: FOREIGN_JOB, accepted: false, error: "no slots" },
  "job-status": { type: "job-status", v, jobId: FOREIGN_JOB, status: "failed", error: "forged", timestamp: 5, detail: "d" },
  "cancel-job": { type: "cancel-job", v, jobId: FOREIGN_JOB },
  "cancel-job-reply": { type: "cancel-job-reply", v, jobId: FOREIGN_JOB },
  "rescale-job": { type: "rescale-job", v, jobId: FOREIGN_JOB, parallelism: 3, savepointDir: "/nonexistent/sp" },
  "rescale-job-reply": { type: "rescale-job-reply", v, jobId: FOREIGN_JOB, parallelism: 3 },
  "register-worker": { type: "register-worker", v, workerId: FOREIGN_WORKER, slots: 4, host: "fuzz-host", pid: 4242 },
  "worker-registered": { type: "worker-registered", v, workerId: FOREIGN_WORKER, heartbeatIntervalMs: 1000 },
  heartbeat: { type: "heartbeat", v, workerId: FOREIGN_WORKER, slots: 4, usedSlots: 2, timestamp: 10 },
  "request-slots": { type: "request-slots", v, jobId: FOREIGN_JOB, count: 3 },
  "slots-reply": { type: "slots-reply", v, jobId: FOREIGN_JOB, slots: [{ workerId: FOREIGN_WORKER, slotIndex: 0 }] },
  "release-slots": { type: "release-slots", v, jobId: FOREIGN_JOB },
  "worker-lost": { type: "worker-lost", v, workerId: FOREIGN_WORKER, jobIds: [FOREIGN_JOB], reason: "heartbeat-timeout" },
  "worker-unresponsive": { type: "worker-unresponsive", v, workerId: FOREIGN_WORKER, jobId: FOREIGN_JOB, subtasks: 2 },
  "unregister-worker": { type: "unregister-worker", v, workerId: FOREIGN_WORKER },
  "deploy-task": { type: "deploy-task", v, task, slotIndex: 0, artifact: { kind: "in-process", key: "fuzz-key" }, jobGraph, restore, channelToken: "0123456789abcdef0123456789abcdef", collectKey: "0123456789abcdef0123456789abcdef" },
  "cancel-task": { type: "cancel-task", v, task },
  "task-state": { type: "task-state", v, task, workerId: FOREIGN_WORKER, state: "failed", error: "forged" },
  collect: { type: "collect", v, jobId: FOREIGN_JOB, sinkId: "4", subtaskIndex: 0, seq: 1, records: [{ word: "a", count: 1 }], last: false, mac: "0123456789abcdef0123456789abcdef" },
  "trigger-checkpoint": { type: "trigger-checkpoint", v, jobId: FOREIGN_JOB, checkpointId: 4, timestamp: 17, mode: "exactly-once", savepointDir: "/tmp/sp", stop: "drain", unaligned: false },
  "checkpoint-ack": {
    type: "checkpoint-ack",
    v,
    jobId: FOREIGN_JOB,
    checkpointId: 4,
    task,
    handle: { kind: "blob", uri: "file:///nonexistent/chk-4", bytes: 120, digest: "ab" },
    operatorUids: ["auto-3"],
    stats: { syncMs: 1, asyncMs: 2, alignmentMs: 0, bytes: 120 },
    references: [1],
    operatorState: false,
    unionState: false,
  },
  "checkpoint-decline": { type: "checkpoint-decline", v, jobId: FOREIGN_JOB, checkpointId: 4, task, reason: "forged" },
  "end-of-data": { type: "end-of-data", v, jobId: FOREIGN_JOB, task },
  "checkpoint-notify": { type: "checkpoint-notify", v, jobId: FOREIGN_JOB, checkpointId: 4, outcome: "complete" },
  "trigger-savepoint": { type: "trigger-savepoint", v, jobId: FOREIGN_JOB, dir: "/nonexistent/sp", stop: "terminate" },
  "savepoint-reply": { type: "savepoint-reply", v, jobId: FOREIGN_JOB, location: "/nonexistent/sp/1", error: "forged" },
  "reader-registration": { type: "reader-registration", v, task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, token: "0123456789abcdef0123456789abcdef" },
  "split-request": { type: "split-request", v, task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, token: "0123456789abcdef0123456789abcdef" },
  "reader-event": { type: "reader-event", v, task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, token: "0123456789abcdef0123456789abcdef", event: { watermark: 5 } },
  "split-assignment": { type: "split-assignment", v, task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, token: "0123456789abcdef0123456789abcdef", seq: 1, splits: [{ path: "/nonexistent/a", offset: 0 }] },
  "no-more-splits": { type: "no-more-splits", v, task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, token: "0123456789abcdef0123456789abcdef", seq: 2 },
  "enumerator-event": { type: "enumerator-event", v, task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, token: "0123456789abcdef0123456789abcdef", seq: 3, event: "pause" },
  "watermark-report": { type: "watermark-report", v, task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, token: "0123456789abcdef0123456789abcdef", group: "fg", watermark: 5, status: "active" },
  "watermark-bound": { type: "watermark-bound", v, jobId: FOREIGN_JOB, group: "fg", maxAllowedWatermark: 1005 },
  "task-metrics": {
    type: "task-metrics",
    v,
    jobId: FOREIGN_JOB,
    workerId: FOREIGN_WORKER,
    timestamp: 9,
    tasks: [{ task: { jobId: FOREIGN_JOB, vertexId: "fv1", subtaskIndex: 0, attempt: 0 }, sample: { recordsIn: 1, recordsOut: 2, bytesIn: 3, bytesOut: 4, busyMs: 5, backPressuredMs: 6, inputWatermark: -Infinity, outputWatermark: 7, queuedFrames: 0, framesAwaitingCredit: 1, startedAt: 2 } }],
  },
  "monitor-query": { type: "monitor-query", v, what: "job", jobId: FOREIGN_JOB },
  "worker-ping": { type: "worker-ping", v, workerId: FOREIGN_WORKER },
  "worker-pong": { type: "worker-pong", v, workerId: FOREIGN_WORKER },
  "monitor-reply": { type: "monitor-reply", v, error: "forged", unknownJob: true },
};

export const SAMPLE_TYPES = Object.keys(SAMPLES) as MessageType[];
