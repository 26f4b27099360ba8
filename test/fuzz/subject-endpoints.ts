// Which message types each weir subject carries: the fuzzer keeps a mutant only if the endpoint it
// goes to rejects it (a valid message there is a command, not bad input), and draws mutants from
// the endpoint's own types half the time so that schema checks are reached deep.

import type { MessageType } from "../../src/messages/schema.ts";

const RULES: [RegExp, MessageType[]][] = [
  [/^weir\.dispatcher\.submit$/, ["submit-job"]],
  [/^weir\.rm\.register$/, ["register-worker"]],
  [/^weir\.rm\.unregister$/, ["unregister-worker"]],
  [/^weir\.rm\.heartbeat$/, ["heartbeat"]],
  [/^weir\.rm\.slots\.request$/, ["request-slots"]],
  [/^weir\.rm\.slots\.release$/, ["release-slots"]],
  [/^weir\.rm\.worker-lost$/, ["worker-lost"]],
  [/^weir\.worker\.[^.]+\.control$/, ["deploy-task", "cancel-task"]],
  [/^weir\.worker\.[^.]+\.ping$/, ["worker-ping"]],
  [/^weir\.job\.[^.]+\.metrics$/, ["task-metrics"]],
  [/^weir\.monitor\.query$/, ["monitor-query"]],
  [/^weir\.job\.[^.]+\.status$/, ["job-status"]],
  [/^weir\.job\.[^.]+\.cancel$/, ["cancel-job"]],
  [/^weir\.job\.[^.]+\.rescale$/, ["rescale-job"]],
  [/^weir\.job\.[^.]+\.tasks$/, ["task-state"]],
  [/^weir\.job\.[^.]+\.checkpoint\.control$/, ["trigger-checkpoint", "checkpoint-notify"]],
  [/^weir\.job\.[^.]+\.checkpoint\.acks$/, ["checkpoint-ack", "checkpoint-decline"]],
  [/^weir\.job\.[^.]+\.savepoint$/, ["trigger-savepoint"]],
  [/^weir\.job\.[^.]+\.collect$/, ["collect"]],
  [/^weir\.job\.[^.]+\.splits\.[^.]+\.enumerator$/, ["reader-registration", "split-request", "reader-event"]],
  [/^weir\.job\.[^.]+\.splits\.[^.]+\.reader\./, ["split-assignment", "no-more-splits", "enumerator-event"]],
  [/^weir\.data\./, ["frame"]],
  [/^weir\.credit\./, ["credit"]],
];

/** Every kind of subject a weir process serves (see subjectKind). */
export const EVERY_SUBJECT_KIND = [
  "credit",
  "data",
  "dispatcher.submit",
  "job.cancel",
  "job.checkpoint.acks",
  "job.checkpoint.control",
  "job.collect",
  "job.metrics",
  "job.savepoint",
  "job.status",
  "job.tasks",
  "monitor.query",
  "rm.heartbeat",
  "rm.register",
  "rm.slots.release",
  "rm.slots.request",
  "rm.unregister",
  "rm.worker-lost",
  "worker.control",
  "worker.ping",
];

/** The message types an endpoint on `subject` accepts (empty: not a subject weir serves). */
export function expectedTypes(subject: string): MessageType[] {
  return RULES.find(([pattern]) => pattern.test(subject))?.[1] ?? [];
}

/** The subjects the job manager serves (the monitor's among them), and a worker's. */
export function clusterSubjects(workerIds: readonly string[]): string[] {
  return [
    "weir.dispatcher.submit",
    "weir.rm.register",
    "weir.rm.unregister",
    "weir.rm.heartbeat",
    "weir.rm.slots.request",
    "weir.rm.slots.release",
    "weir.rm.worker-lost",
    "weir.monitor.query",
    ...workerIds.flatMap((id) => [`weir.worker.${id}.control`, `weir.worker.${id}.ping`]),
  ];
}

/** The subjects of one job: its masters', its coordinator's, its subtasks' control and its client's. */
export function jobSubjects(jobId: string): string[] {
  return ["status", "cancel", "tasks", "metrics", "checkpoint.control", "checkpoint.acks", "savepoint", "collect"].map((s) => `weir.job.${jobId}.${s}`);
}

/** True for a job's data-plane subjects (frames and credits), learned by listening. */
export function isDataSubject(subject: string, jobId: string): boolean {
  return subject.startsWith(`weir.data.${jobId}.`) || subject.startsWith(`weir.credit.${jobId}.`);
}

/** A subject's kind: weir.job.<id>.tasks → job.tasks, weir.data.… → data, weir.rm.heartbeat → rm.heartbeat. */
export function subjectKind(subject: string): string {
  const tokens = subject.split(".");
  if (tokens[1] === "data" || tokens[1] === "credit") return tokens[1];
  if (tokens[1] === "job" || tokens[1] === "worker") return [tokens[1], ...tokens.slice(3)].join(".");
  return tokens.slice(1).join(".");
}
