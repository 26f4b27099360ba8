// The job manager's Prometheus gauges, from a monitor view fed a short history.

import { describe, expect, it } from "vitest";
import { clusterGauges } from "../../src/cluster/cluster-gauges.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";
import { ClusterView } from "../../src/monitor/cluster-view.ts";

const v = 1;
const graph: JobGraphSpec = {
  jobName: "g",
  digest: "d",
  vertices: [{ id: "v1", name: "Sequence", parallelism: 1, maxParallelism: 128, nodes: [1], operatorUids: ["s"], isSource: true, bufferTimeoutMs: 100 }],
  edges: [],
  config: { jobName: "g", parallelism: 1, maxParallelism: 128, bufferTimeoutMs: 100 },
};

describe("the job manager's gauges", () => {
  it("count workers, slots and jobs, and describe each running job's checkpoints", () => {
    const view = new ClusterView("1.0.0");
    view.apply({ type: "register-worker", v, workerId: "w1", slots: 4, host: "h", pid: 1 }, 0);
    view.apply({ type: "heartbeat", v, workerId: "w1", slots: 4, usedSlots: 1, timestamp: 0 }, 1);
    view.apply({ type: "submit-job", v, jobId: "a", artifact: { kind: "in-process", key: "a" }, jobGraph: graph, secret: "0123456789abcdef" }, 10);
    view.apply({ type: "submit-job", v, jobId: "b", artifact: { kind: "in-process", key: "b" }, jobGraph: graph, secret: "0123456789abcdef" }, 20);
    view.apply({ type: "job-status", v, jobId: "b", status: "canceled", timestamp: 0 }, 30);
    view.apply({ type: "trigger-checkpoint", v, jobId: "a", checkpointId: 1, timestamp: 0, mode: "exactly-once" }, 100);
    view.apply({ type: "checkpoint-ack", v, jobId: "a", checkpointId: 1, task: { jobId: "a", vertexId: "v1", subtaskIndex: 0, attempt: 0 }, operatorUids: ["s"], stats: { syncMs: 1, asyncMs: 2, alignmentMs: 0, bytes: 512 } }, 120);
    view.apply({ type: "checkpoint-notify", v, jobId: "a", checkpointId: 1, outcome: "complete" }, 140);
    const gauges = Object.fromEntries(clusterGauges(view, 1_010).map((g) => [`${g.name}${JSON.stringify(g.labels)}`, g.value]));
    expect(gauges).toEqual({
      "weir_workers{}": 1,
      "weir_slots_total{}": 4,
      "weir_slots_available{}": 3,
      'weir_jobs{"status":"created"}': 1,
      'weir_jobs{"status":"canceled"}': 1,
      'weir_job_uptime_ms{"job":"a","name":"g"}': 1_000,
      'weir_job_restarts{"job":"a","name":"g"}': 0,
      'weir_job_checkpoints_completed{"job":"a","name":"g"}': 1,
      'weir_job_checkpoints_failed{"job":"a","name":"g"}': 0,
      'weir_job_last_checkpoint_duration_ms{"job":"a","name":"g"}': 40,
      'weir_job_last_checkpoint_size_bytes{"job":"a","name":"g"}': 512,
      'weir_job_last_checkpoint_alignment_ms{"job":"a","name":"g"}': 0,
    });
  });
});
