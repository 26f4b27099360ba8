// Every subject weir uses is built here, and nowhere else. Tokens are checked so that an id with a
// dot or a wildcard can never change a subject's meaning.

import { isSubjectToken, TOKEN } from "../core/tokens.ts";

export { isSubjectToken };

function token(value: string | number, what: string): string {
  const text = String(value);
  if (!TOKEN.test(text)) throw new Error(`${what} ${JSON.stringify(text)} cannot be used in a subject: use letters, digits, '-' and '_'`);
  return text;
}


export const subjects = {
  /** Client → dispatcher: submit a job (request/reply). */
  submitJob: () => "weir.dispatcher.submit",
  /** Worker → resource manager: registration (request/reply). */
  registerWorker: () => "weir.rm.register",
  /** Worker → resource manager: leaving. */
  unregisterWorker: () => "weir.rm.unregister",
  /** Worker → resource manager: heartbeats. */
  heartbeat: () => "weir.rm.heartbeat",
  /** Job master → resource manager: slot requests (request/reply) and releases. */
  requestSlots: () => "weir.rm.slots.request",
  releaseSlots: () => "weir.rm.slots.release",
  /** Resource manager → job masters: a worker went silent. */
  workerLost: () => "weir.rm.worker-lost",
  /** Job master → resource manager: a worker did not acknowledge subtasks deployed there. */
  workerUnresponsive: () => "weir.rm.worker-unresponsive",
  /** Resource manager → worker: liveness pings (request/reply); no responders means it is gone. */
  workerPing: (workerId: string) => `weir.worker.${token(workerId, "worker id")}.ping`,
  /** → worker: deploy and cancel its subtasks. */
  workerControl: (workerId: string) => `weir.worker.${token(workerId, "worker id")}.control`,
  /** Job master → anyone: job status changes. */
  jobStatus: (jobId: string) => `weir.job.${token(jobId, "job id")}.status`,
  /** Client → job master: cancel. */
  cancelJob: (jobId: string) => `weir.job.${token(jobId, "job id")}.cancel`,
  /** Client → job master: rescale (request/reply). */
  rescaleJob: (jobId: string) => `weir.job.${token(jobId, "job id")}.rescale`,
  /** Subtasks → job master: task state changes. */
  taskState: (jobId: string) => `weir.job.${token(jobId, "job id")}.tasks`,
  /** Job master → subtasks: checkpoint triggers (sources) and completion/abort notices (all). */
  checkpointControl: (jobId: string) => `weir.job.${token(jobId, "job id")}.checkpoint.control`,
  /** Subtasks → job master: checkpoint acknowledgements and declines. */
  checkpointAcks: (jobId: string) => `weir.job.${token(jobId, "job id")}.checkpoint.acks`,
  /** Client → job master: savepoint requests (request/reply). */
  savepoint: (jobId: string) => `weir.job.${token(jobId, "job id")}.savepoint`,
  /** Source readers → the split enumerator of one source vertex: registrations, split requests, source events. */
  splitRequests: (jobId: string, vertexId: string) => `weir.job.${token(jobId, "job id")}.splits.${token(vertexId, "vertex id")}.enumerator`,
  /** Split enumerator → the reader of one subtask execution: assignments, no more splits, source events. */
  splitsToReader: (jobId: string, vertexId: string, attempt: number, subtaskIndex: number) =>
    `weir.job.${token(jobId, "job id")}.splits.${token(vertexId, "vertex id")}.reader.${attempt}.${subtaskIndex}`,
  /** Source readers → the job's watermark alignment coordinators: watermark reports. */
  alignmentReports: (jobId: string) => `weir.job.${token(jobId, "job id")}.alignment.reports`,
  /** Alignment coordinator → the readers of one group: the highest watermark they may read to. */
  alignmentBound: (jobId: string, group: string) => `weir.job.${token(jobId, "job id")}.alignment.${token(group, "alignment group")}.bound`,
  /** Workers → the job manager's monitor: each subtask's figures, every heartbeat interval. */
  taskMetrics: (jobId: string) => `weir.job.${token(jobId, "job id")}.metrics`,
  /** One kind of job subject (e.g. "tasks", "checkpoint.acks") of every job, for the monitor. */
  everyJob: (kind: "status" | "tasks" | "metrics" | "checkpoint.control" | "checkpoint.acks") => `weir.job.*.${kind}`,
  /** Client → the job manager's monitor: what the cluster runs (request/reply). */
  monitorQuery: () => "weir.monitor.query",
  /** Collect sinks → client. */
  collect: (jobId: string) => `weir.job.${token(jobId, "job id")}.collect`,
  /** Frames on one channel: (edge, producer → consumer), within one attempt of the job. */
  frames: (jobId: string, attempt: number, edgeId: string, consumer: number, producer: number) =>
    `weir.data.${token(jobId, "job id")}.${attempt}.${token(edgeId, "edge id")}.${consumer}.${producer}`,
  /** All frames for one consuming subtask on one edge. */
  framesInto: (jobId: string, attempt: number, edgeId: string, consumer: number) =>
    `weir.data.${token(jobId, "job id")}.${attempt}.${token(edgeId, "edge id")}.${consumer}.*`,
  /** Credits from one consumer to one producer. */
  credits: (jobId: string, attempt: number, edgeId: string, producer: number, consumer: number) =>
    `weir.credit.${token(jobId, "job id")}.${attempt}.${token(edgeId, "edge id")}.${producer}.${consumer}`,
  /** All credits for one producing subtask on one edge. */
  creditsInto: (jobId: string, attempt: number, edgeId: string, producer: number) =>
    `weir.credit.${token(jobId, "job id")}.${attempt}.${token(edgeId, "edge id")}.${producer}.*`,
  /** Everything weir publishes (the trace recorder's tap). */
  everything: () => "weir.>",
};
