// The job manager's Prometheus gauges, from its monitor's view: workers and slots, jobs per
// status, and per running job its restarts, uptime and checkpoints.

import type { ClusterView } from "../monitor/cluster-view.ts";
import type { GaugeSample } from "../observability/prometheus.ts";

export function clusterGauges(view: ClusterView, now: number): GaugeSample[] {
  const overview = view.overview();
  const gauges: GaugeSample[] = [
    { name: "weir_workers", help: "Workers registered with the job manager", labels: {}, value: overview.workers },
    { name: "weir_slots_total", help: "Slots offered by the registered workers", labels: {}, value: overview.slotsTotal },
    { name: "weir_slots_available", help: "Slots free for new jobs", labels: {}, value: overview.slotsAvailable },
  ];
  for (const [status, count] of Object.entries(overview.jobs)) gauges.push({ name: "weir_jobs", help: "Jobs known to the job manager, by status", labels: { status }, value: count });
  for (const summary of view.jobs(now)) {
    if (summary.endTime !== undefined) continue;
    const job = view.job(summary.id, now);
    if (!job) continue;
    const labels = { job: job.id, name: job.name };
    gauges.push({ name: "weir_job_uptime_ms", help: "Time since the job was submitted", labels, value: job.durationMs });
    gauges.push({ name: "weir_job_restarts", help: "Restarts of the job so far", labels, value: job.restarts });
    gauges.push({ name: "weir_job_checkpoints_completed", help: "Checkpoints and savepoints completed", labels, value: job.checkpoints.counts.completed });
    gauges.push({ name: "weir_job_checkpoints_failed", help: "Checkpoints and savepoints that failed", labels, value: job.checkpoints.counts.failed });
    const last = job.checkpoints.history.find((c) => c.status === "completed");
    if (!last) continue;
    gauges.push({ name: "weir_job_last_checkpoint_duration_ms", help: "Duration of the last completed checkpoint", labels, value: last.durationMs });
    gauges.push({ name: "weir_job_last_checkpoint_size_bytes", help: "State size of the last completed checkpoint", labels, value: last.bytes });
    gauges.push({ name: "weir_job_last_checkpoint_alignment_ms", help: "Longest barrier alignment of the last completed checkpoint", labels, value: last.maxAlignmentMs });
  }
  return gauges;
}
