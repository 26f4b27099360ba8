// Plain-text renderings of the cluster's views for the terminal: aligned columns, durations and
// rates people can read.

import type { JobDetails, JobSummary } from "../observability/views.ts";

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${Math.round(perSecond)}/s`;
}

/** How many run of all, then how many ended in each end state, e.g. `0/4 running, 3 finished, 1 canceled`. */
export function taskCounts(tasks: Record<string, number>): string {
  const total = Object.values(tasks).reduce((a, b) => a + b, 0);
  const ended = (["finished", "failed", "canceled"] as const).filter((s) => tasks[s]).map((s) => `, ${tasks[s]} ${s}`);
  return `${tasks.running ?? 0}/${total} running${ended.join("")}`;
}

export function formatJobList(jobs: JobSummary[], now: number): string {
  if (jobs.length === 0) return "no jobs\n";
  return table(
    ["JOB ID", "NAME", "STATUS", "STARTED", "DURATION", "TASKS"],
    jobs.map((j) => [j.id, j.name, j.status, `${duration(now - j.startTime)} ago`, duration(j.durationMs), taskCounts(j.tasks)]),
  );
}

function watermark(value: number | null): string {
  return value === null ? "-" : new Date(value).toISOString();
}

export function formatJobDetails(job: JobDetails): string {
  const lines = [
    `job ${job.id} "${job.name}": ${job.status}, ${job.endTime === undefined ? "running for" : "ran for"} ${duration(job.durationMs)}, ${job.restarts} restart(s)`,
    ...(job.error ? [`error: ${job.error}`] : []),
    ...attemptNote(job),
    "",
    table(
      ["VERTEX", "NAME", "PARALLELISM", "TASKS", "IN", "OUT", "BUSY", "BACKPRESSURED", "WATERMARK"],
      job.plan.vertices.map((v) => [
        v.id,
        v.name,
        String(v.parallelism),
        taskCounts(v.states),
        `${v.metrics.recordsIn} (${rate(v.metrics.recordsInPerSecond)})`,
        `${v.metrics.recordsOut} (${rate(v.metrics.recordsOutPerSecond)})`,
        `${Math.round(v.metrics.busyMsPerSecond / 10)}%`,
        `${Math.round(v.metrics.backPressuredMsPerSecond / 10)}%`,
        watermark(v.metrics.inputWatermark ?? v.metrics.outputWatermark),
      ]),
    ),
  ];
  const { counts, history } = job.checkpoints;
  lines.push(`checkpoints: ${counts.completed} completed, ${counts.failed} failed, ${counts.aborted ?? 0} aborted, ${counts.inProgress} in progress`);
  if (history.length > 0) {
    lines.push(
      table(
        ["ID", "KIND", "STATUS", "DURATION", "SIZE", "ACKS", "LOCATION / FAILURE"],
        history.slice(0, 5).map((c) => [String(c.id), c.savepoint ? "savepoint" : "checkpoint", c.status, `${c.durationMs} ms`, `${c.bytes} B`, `${c.acknowledged}/${c.total}`, c.failure ?? c.location ?? ""]),
      ),
    );
  }
  if (job.exceptions.length > 0) {
    lines.push("exceptions (newest first):");
    for (const e of job.exceptions.slice(0, 5)) lines.push(`  ${new Date(e.timestamp).toISOString()} ${e.task ?? "job"}: ${e.message.split("\n")[0]}`);
  }
  return `${lines.join("\n")}\n`;
}

/** After a restart the figures are the latest attempt's: each attempt counts from zero. */
function attemptNote(job: JobDetails): string[] {
  if (job.restarts === 0) return [];
  const attempts = job.plan.vertices.flatMap((v) => v.subtasks.map((s) => s.attempt));
  const [low, high] = [Math.min(...attempts), Math.max(...attempts)];
  // A restart of one failover region leaves the other subtasks in their attempt.
  const which = low === high ? `attempt ${high}, the latest` : `each subtask's latest attempt (${low} to ${high})`;
  return [`records: counted by ${which}; each attempt counts from zero after a restart`];
}
