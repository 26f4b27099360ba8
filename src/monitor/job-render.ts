// Renders a job as the monitor knows it into the views people and programs read: per-subtask
// figures with rates from the last two samples, per-vertex aggregates, checkpoint history.

import { hasEnded } from "../messages/schema.ts";
import type { CheckpointView, JobDetails, JobSummary, SubtaskMetrics, SubtaskView, VertexMetrics, VertexView } from "../observability/views.ts";
import type { CheckpointRecord, JobRecord, TaskRecord } from "./cluster-view.ts";


export function summarizeJob(job: JobRecord, now: number): JobSummary {
  const tasks: Record<string, number> = {};
  for (const task of job.tasks.values()) tasks[task.state] = (tasks[task.state] ?? 0) + 1;
  return {
    id: job.id,
    name: job.graph.jobName,
    status: job.status,
    startTime: job.startTime,
    ...(job.endTime !== undefined ? { endTime: job.endTime } : {}),
    durationMs: (job.endTime ?? now) - job.startTime,
    parallelism: Math.max(1, ...job.graph.vertices.map((v) => v.parallelism)),
    tasks,
    restarts: job.restarts,
    ...(job.error !== undefined ? { error: job.error } : {}),
  };
}

export function renderJob(job: JobRecord, now: number): JobDetails {
  const running = !hasEnded(job.status);
  const vertices = job.graph.vertices.map((vertex): VertexView => {
    const subtasks = [...job.tasks.values()].filter((t) => t.vertexId === vertex.id).map((t) => renderSubtask(t, running));
    const states: Record<string, number> = {};
    for (const s of subtasks) states[s.state] = (states[s.state] ?? 0) + 1;
    return {
      id: vertex.id,
      name: vertex.name,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      isSource: vertex.isSource,
      slotSharingGroup: vertex.slotSharingGroup ?? "default",
      states,
      metrics: aggregate(subtasks),
      subtasks,
    };
  });
  const edges = job.graph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, partitioner: e.partitioner.kind, ...(e.sideOutput !== undefined ? { sideOutput: e.sideOutput } : {}) }));
  const inProgress = job.checkpoints.filter((c) => c.status === "in_progress").length;
  const { checkpointing, restartStrategy, ...rest } = job.graph.config;
  return {
    ...summarizeJob(job, now),
    plan: { vertices, edges },
    checkpoints: { counts: { ...job.counts, inProgress }, history: [...job.checkpoints].reverse().map((c) => renderCheckpoint(c, now)) },
    exceptions: [...job.exceptions].reverse(),
    config: { ...rest, checkpointing: checkpointing ?? null, restartStrategy: restartStrategy ?? null },
  };
}

function renderCheckpoint(checkpoint: CheckpointRecord, now: number): CheckpointView {
  const acks = checkpoint.acks;
  return {
    id: checkpoint.id,
    status: checkpoint.status,
    savepoint: checkpoint.savepoint,
    triggeredAt: checkpoint.triggeredAt,
    durationMs: (checkpoint.endedAt ?? now) - checkpoint.triggeredAt,
    bytes: acks.reduce((sum, a) => sum + a.bytes, 0),
    maxAlignmentMs: acks.reduce((max, a) => Math.max(max, a.alignmentMs), 0),
    acknowledged: acks.length,
    total: checkpoint.total,
    ...(checkpoint.location !== undefined ? { location: checkpoint.location } : {}),
    ...(checkpoint.failure !== undefined ? { failure: checkpoint.failure } : {}),
    subtasks: acks,
  };
}

function renderSubtask(task: TaskRecord, jobRunning: boolean): SubtaskView {
  return {
    index: task.index,
    attempt: task.attempt,
    state: task.state,
    ...(task.workerId !== undefined ? { workerId: task.workerId } : {}),
    metrics: task.latest ? subtaskMetrics(task, jobRunning && task.state === "running") : null,
  };
}

/** Cumulative figures from the latest sample; rates over the last two (or since the start), zero once it stopped. */
export function subtaskMetrics(task: TaskRecord, live: boolean): SubtaskMetrics {
  const latest = task.latest!;
  const s = latest.sample;
  const base = task.previous ?? { sample: { ...s, recordsIn: 0, recordsOut: 0, busyMs: 0, backPressuredMs: 0 }, at: s.startedAt };
  const seconds = (latest.at - base.at) / 1000;
  const rate = (now: number, then: number) => (live && seconds > 0 ? Math.max(0, (now - then) / seconds) : 0);
  const busy = Math.min(1000, rate(s.busyMs, base.sample.busyMs));
  const backPressured = Math.min(1000 - busy, rate(s.backPressuredMs, base.sample.backPressuredMs));
  return {
    recordsIn: s.recordsIn,
    recordsOut: s.recordsOut,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    recordsInPerSecond: rate(s.recordsIn, base.sample.recordsIn),
    recordsOutPerSecond: rate(s.recordsOut, base.sample.recordsOut),
    busyMsPerSecond: busy,
    backPressuredMsPerSecond: backPressured,
    idleMsPerSecond: live ? 1000 - busy - backPressured : 0,
    inputWatermark: finite(s.inputWatermark),
    outputWatermark: finite(s.outputWatermark),
    queuedFrames: s.queuedFrames,
    framesAwaitingCredit: s.framesAwaitingCredit,
    uptimeMs: latest.at - s.startedAt,
    at: latest.at,
  };
}

function aggregate(subtasks: SubtaskView[]): VertexMetrics {
  const measured = subtasks.flatMap((s) => (s.metrics ? [s.metrics] : []));
  const sum = (f: (m: SubtaskMetrics) => number) => measured.reduce((total, m) => total + f(m), 0);
  const max = (f: (m: SubtaskMetrics) => number) => measured.reduce((top, m) => Math.max(top, f(m)), 0);
  const lowest = (f: (m: SubtaskMetrics) => number | null) => {
    const values = measured.map(f);
    return values.length === 0 || values.some((v) => v === null) ? null : Math.min(...(values as number[]));
  };
  return {
    recordsIn: sum((m) => m.recordsIn),
    recordsOut: sum((m) => m.recordsOut),
    recordsInPerSecond: sum((m) => m.recordsInPerSecond),
    recordsOutPerSecond: sum((m) => m.recordsOutPerSecond),
    busyMsPerSecond: max((m) => m.busyMsPerSecond),
    backPressuredMsPerSecond: max((m) => m.backPressuredMsPerSecond),
    inputWatermark: lowest((m) => m.inputWatermark),
    outputWatermark: lowest((m) => m.outputWatermark),
  };
}

/** Watermarks before the first (-∞) and after the end (+∞) show as none. */
function finite(watermark: number): number | null {
  return Number.isFinite(watermark) ? watermark : null;
}
