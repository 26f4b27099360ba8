// What the cluster runs, folded from the control messages that cross the bus: submissions, job
// statuses, task states, checkpoint triggers, acknowledgements and notices, worker registrations,
// heartbeats and the workers' task figures. Deterministic and free of I/O: the same messages at
// the same times give the same views (tests feed traces). The monitor actor owns one.

import { hasEnded, type ControlMessage, type JobGraphSpec, type JobStatus, type SubmitJob, type TaskSample, type TaskState } from "../messages/schema.ts";
import type { ExceptionView, JobDetails, JobSummary, Overview, SubtaskCheckpointView, WorkerView } from "../observability/views.ts";
import { renderJob, summarizeJob } from "./job-render.ts";
import { taskLabel } from "../graph/task-label.ts";
import { pathToFileURL } from "node:url";

/** Ended jobs kept for `jobs()` and `job()`; older ones are forgotten first. */
export const MAX_ENDED_JOBS = 100;
/** Checkpoints kept per job (newest), beside the counts of all. */
export const MAX_CHECKPOINTS = 20;
export const MAX_EXCEPTIONS = 50;


export interface TimedSample {
  sample: TaskSample;
  at: number;
}

export interface TaskRecord {
  vertexId: string;
  index: number;
  attempt: number;
  state: TaskState;
  workerId?: string;
  latest?: TimedSample;
  previous?: TimedSample;
}

export interface CheckpointRecord {
  id: number;
  savepoint: boolean;
  location?: string;
  triggeredAt: number;
  endedAt?: number;
  /** `aborted`: still in flight when the job ended (a completion notice arriving later still counts). */
  status: "in_progress" | "completed" | "failed" | "aborted";
  failure?: string;
  /** Subtasks taking part (those not finished when it was triggered). */
  total: number;
  acks: SubtaskCheckpointView[];
}

export interface JobRecord {
  id: string;
  graph: JobGraphSpec;
  status: JobStatus;
  startTime: number;
  endTime?: number;
  error?: string;
  restarts: number;
  /** By `vertexId/index`. */
  tasks: Map<string, TaskRecord>;
  /** Oldest first, at most MAX_CHECKPOINTS. */
  checkpoints: CheckpointRecord[];
  counts: { completed: number; failed: number; aborted: number };
  /** Oldest first, at most MAX_EXCEPTIONS. */
  exceptions: ExceptionView[];
}

/** The job runs another graph (rescaled): its subtasks are those of the new graph, those it keeps with what is known of them. */
function rescaled(job: JobRecord, graph: JobGraphSpec): void {
  const tasks = new Map<string, TaskRecord>();
  for (const vertex of graph.vertices) {
    for (let index = 0; index < vertex.parallelism; index++) {
      const key = `${vertex.id}/${index}`;
      tasks.set(key, job.tasks.get(key) ?? { vertexId: vertex.id, index, attempt: 0, state: "created" });
    }
  }
  job.graph = graph;
  job.tasks = tasks;
}

export class ClusterView {
  private readonly jobRecords = new Map<string, JobRecord>();
  private readonly workerRecords = new Map<string, WorkerView>();
  /** Ended jobs known only from the history (an earlier job manager saw them), by id. */
  private readonly archived = new Map<string, JobDetails>();

  constructor(private readonly version: string) {}

  /** Folds one observed message in, at monitor time `now`. */
  apply(message: ControlMessage, now: number): void {
    switch (message.type) {
      case "submit-job":
        this.submitted(message, now);
        return;
      case "job-status":
        this.withJob(message.jobId, (job) => {
          if (message.jobGraph && !hasEnded(job.status)) rescaled(job, message.jobGraph);
          this.statusChanged(job, message.status, message.error, now);
        });
        return;
      case "task-state":
        this.withJob(message.task.jobId, (job) => {
          const task = job.tasks.get(`${message.task.vertexId}/${message.task.subtaskIndex}`);
          if (!task || message.task.attempt < task.attempt) return;
          if (message.task.attempt > task.attempt) Object.assign(task, { attempt: message.task.attempt, latest: undefined, previous: undefined });
          // Workers announce their subtasks' states again with each heartbeat: a failure is one exception.
          const newlyFailed = message.state === "failed" && task.state !== "failed";
          task.state = message.state;
          task.workerId = message.workerId;
          if (newlyFailed) this.addException(job, { timestamp: now, message: message.error ?? "unknown error", task: taskLabel(job.graph, task.vertexId, task.index), workerId: message.workerId });
        });
        return;
      case "task-metrics":
        this.withJob(message.jobId, (job) => {
          for (const { task: id, sample } of message.tasks) {
            const task = job.tasks.get(`${id.vertexId}/${id.subtaskIndex}`);
            if (!task || task.attempt !== id.attempt) continue;
            task.previous = task.latest;
            task.latest = { sample, at: message.timestamp };
          }
        });
        return;
      case "trigger-checkpoint":
        this.withJob(message.jobId, (job) => {
          if (job.checkpoints.some((c) => c.id === message.checkpointId)) return;
          const total = [...job.tasks.values()].filter((t) => t.state !== "finished").length;
          const checkpoint: CheckpointRecord = { id: message.checkpointId, savepoint: message.savepointDir !== undefined, location: savepointLocation(message.savepointDir), triggeredAt: now, status: "in_progress", total, acks: [] };
          job.checkpoints.push(checkpoint);
          if (job.checkpoints.length > MAX_CHECKPOINTS) job.checkpoints.shift();
          // Its trigger crossed the bus after the job's end (another subject): nothing will finish it.
          if (hasEnded(job.status)) abort(job, checkpoint, now);
        });
        return;
      case "checkpoint-ack":
        this.withCheckpoint(message.jobId, message.checkpointId, (checkpoint) => {
          const { vertexId, subtaskIndex } = message.task;
          if (checkpoint.acks.some((a) => a.vertexId === vertexId && a.subtaskIndex === subtaskIndex)) return;
          checkpoint.acks.push({ vertexId, subtaskIndex, ...message.stats });
        });
        return;
      case "checkpoint-decline":
        this.withCheckpoint(message.jobId, message.checkpointId, (checkpoint) => {
          checkpoint.failure ??= `${message.task.vertexId}[${message.task.subtaskIndex}] declined: ${message.reason}`;
        });
        return;
      case "checkpoint-notify":
        this.withJob(message.jobId, (job) => {
          const checkpoint = job.checkpoints.find((c) => c.id === message.checkpointId);
          if (checkpoint === undefined) return;
          // Its outcome crossed the bus after the job's end: the outcome wins over the abort.
          if (checkpoint.status === "aborted") job.counts.aborted -= 1;
          else if (checkpoint.status !== "in_progress") return;
          checkpoint.status = message.outcome === "complete" ? "completed" : "failed";
          checkpoint.endedAt = now;
          if (message.outcome === "complete") job.counts.completed += 1;
          else job.counts.failed += 1;
        });
        return;
      case "register-worker":
        this.workerRecords.set(message.workerId, { id: message.workerId, host: message.host, pid: message.pid, slots: message.slots, usedSlots: 0, lastHeartbeat: now });
        return;
      case "heartbeat": {
        const known = this.workerRecords.get(message.workerId);
        this.workerRecords.set(message.workerId, { id: message.workerId, host: known?.host ?? "unknown", pid: known?.pid ?? 0, slots: message.slots, usedSlots: message.usedSlots, lastHeartbeat: now });
        return;
      }
      case "unregister-worker":
        this.workerRecords.delete(message.workerId);
        return;
      case "worker-lost":
        this.workerRecords.delete(message.workerId);
        // Its subtasks report nothing more: they failed with it (as their job master decides too).
        for (const jobId of message.jobIds) {
          this.withJob(jobId, (job) => {
            for (const task of job.tasks.values()) if (task.workerId === message.workerId && !hasEnded(task.state)) task.state = "failed";
          });
        }
        return;
      default:
        return;
    }
  }

  /**
   * A running job taken over from a leader that is gone: as if just submitted, but with the start,
   * restarts and exceptions its record keeps (none in a record of an older version: from `now`).
   */
  adopt(submission: SubmitJob, figures: Pick<JobRecord, "startTime" | "restarts" | "exceptions"> | undefined, now: number): void {
    this.submitted(submission, now);
    const job = this.jobRecords.get(submission.jobId);
    if (!job || !figures) return;
    Object.assign(job, { startTime: figures.startTime, restarts: figures.restarts, exceptions: figures.exceptions.slice(-MAX_EXCEPTIONS) });
  }

  /** Ended jobs from the history; jobs this view follows itself win. */
  restore(history: readonly JobDetails[]): void {
    for (const job of history) if (!this.jobRecords.has(job.id)) this.archived.set(job.id, job);
    this.forgetOldJobs();
  }

  /** True when `jobId` has ended here (its details belong in the history). */
  hasEnded(jobId: string): boolean {
    const job = this.jobRecords.get(jobId);
    return job !== undefined && hasEnded(job.status);
  }

  overview(): Overview {
    const workers = [...this.workerRecords.values()];
    const jobs: Record<string, number> = {};
    for (const job of [...this.jobRecords.values(), ...this.archived.values()]) jobs[job.status] = (jobs[job.status] ?? 0) + 1;
    const slotsTotal = workers.reduce((sum, w) => sum + w.slots, 0);
    const used = workers.reduce((sum, w) => sum + w.usedSlots, 0);
    return { version: this.version, workers: workers.length, slotsTotal, slotsAvailable: slotsTotal - used, jobs };
  }

  workers(): WorkerView[] {
    return [...this.workerRecords.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Newest (by start) first. */
  jobs(now: number): JobSummary[] {
    const summaries = [...this.jobRecords.values()].map((job) => summarizeJob(job, now));
    for (const { plan: _plan, checkpoints: _checkpoints, exceptions: _exceptions, config: _config, ...summary } of this.archived.values()) summaries.push(summary);
    return summaries.sort((a, b) => b.startTime - a.startTime);
  }

  job(jobId: string, now: number): JobDetails | undefined {
    const job = this.jobRecords.get(jobId);
    return job ? renderJob(job, now) : this.archived.get(jobId);
  }

  private submitted(message: SubmitJob, now: number): void {
    const known = this.jobRecords.get(message.jobId);
    if (known && !hasEnded(known.status)) return; // a duplicate id: the dispatcher refuses it
    this.jobRecords.delete(message.jobId);
    this.archived.delete(message.jobId);
    const tasks = new Map<string, TaskRecord>();
    for (const vertex of message.jobGraph.vertices) {
      for (let index = 0; index < vertex.parallelism; index++) tasks.set(`${vertex.id}/${index}`, { vertexId: vertex.id, index, attempt: 0, state: "created" });
    }
    this.jobRecords.set(message.jobId, { id: message.jobId, graph: message.jobGraph, status: "created", startTime: now, restarts: 0, tasks, checkpoints: [], counts: { completed: 0, failed: 0, aborted: 0 }, exceptions: [] });
    this.forgetOldJobs();
  }

  private statusChanged(job: JobRecord, status: JobStatus, error: string | undefined, now: number): void {
    if (hasEnded(job.status)) return;
    if (status === "restarting" && job.status !== "restarting") job.restarts += 1;
    job.status = status;
    if (error !== undefined) job.error = error;
    if (!hasEnded(status)) return;
    job.endTime = now;
    // Subtasks that never reported their end (a lost worker's, say) ended with the job.
    for (const task of job.tasks.values()) if (!hasEnded(task.state)) task.state = "canceled";
    this.forgetOldJobs();
    // A failure no task reported (no slots, a restore that cannot succeed) is an exception of its own.
    if (status === "failed" && error !== undefined && !job.exceptions.some((e) => error.includes(e.message))) this.addException(job, { timestamp: now, message: error });
    for (const checkpoint of job.checkpoints) if (checkpoint.status === "in_progress") abort(job, checkpoint, now);
  }

  private addException(job: JobRecord, exception: ExceptionView): void {
    job.exceptions.push(exception);
    if (job.exceptions.length > MAX_EXCEPTIONS) job.exceptions.shift();
  }

  private withJob(jobId: string, fn: (job: JobRecord) => void): void {
    const job = this.jobRecords.get(jobId);
    if (job) fn(job);
  }

  private withCheckpoint(jobId: string, checkpointId: number, fn: (checkpoint: CheckpointRecord) => void): void {
    const checkpoint = this.jobRecords.get(jobId)?.checkpoints.find((c) => c.id === checkpointId);
    if (checkpoint) fn(checkpoint);
  }

  /** Keeps the newest MAX_ENDED_JOBS ended jobs, followed or archived. */
  private forgetOldJobs(): void {
    const ended = [...this.jobRecords.values()].filter((job) => hasEnded(job.status)).map((job) => ({ id: job.id, endTime: job.endTime ?? 0 }));
    for (const job of this.archived.values()) ended.push({ id: job.id, endTime: job.endTime ?? job.startTime });
    ended.sort((a, b) => a.endTime - b.endTime);
    for (const { id } of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_JOBS))) {
      this.jobRecords.delete(id);
      this.archived.delete(id);
    }
  }
}

/** A checkpoint still in flight when its job ended: nothing will complete it. */
function abort(job: JobRecord, checkpoint: CheckpointRecord, now: number): void {
  checkpoint.status = "aborted";
  checkpoint.failure ??= `the job ended (${job.status})`;
  checkpoint.endedAt = now;
  job.counts.aborted += 1;
}

/** A savepoint's folder as the savepoint's reply names it: a `file://` URL for a local path. */
function savepointLocation(dir: string | undefined): string | undefined {
  return dir?.startsWith("/") ? pathToFileURL(dir).href : dir;
}
