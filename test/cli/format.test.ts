// What `weir info` and `weir list` print for a job the monitor followed: traces of control
// messages folded by the monitor's view, then rendered as text. The TASKS column counts every end
// state, the figures after a restart say whose they are, and a checkpoint in flight at the job's
// end is aborted.

import { describe, expect, it } from "vitest";
import { formatJobDetails, formatJobList, taskCounts } from "../../src/cli/format.ts";
import type { ControlMessage, JobGraphSpec, TaskSample, TaskState } from "../../src/messages/schema.ts";
import { ClusterView } from "../../src/monitor/cluster-view.ts";

const v = 1;
const graph: JobGraphSpec = {
  jobName: "counts",
  digest: "d",
  vertices: [
    { id: "v1", name: "Source: numbers", parallelism: 2, maxParallelism: 128, nodes: [1], operatorUids: ["numbers"], isSource: true, bufferTimeoutMs: 100 },
    { id: "v2", name: "count -> Sink: out", parallelism: 2, maxParallelism: 128, nodes: [2, 3], operatorUids: ["count", "out"], isSource: false, bufferTimeoutMs: 100 },
  ],
  edges: [{ id: "e0", source: "v1", target: "v2", partitioner: { kind: "hash" }, sourceNode: 1, targetNode: 2, inputIndex: 0 }],
  config: { jobName: "counts", parallelism: 2, maxParallelism: 128, bufferTimeoutMs: 100 },
};

const submit: ControlMessage = { type: "submit-job", v, jobId: "j1", artifact: { kind: "in-process", key: "j1" }, jobGraph: graph, secret: "0123456789abcdef" };
const status = (s: "running" | "restarting" | "finished" | "canceled"): ControlMessage => ({ type: "job-status", v, jobId: "j1", status: s, timestamp: 0 });
const id = (key: string, attempt: number) => ({ jobId: "j1", vertexId: key.split("/")[0], subtaskIndex: Number(key.split("/")[1]), attempt });
const state = (key: string, s: TaskState, attempt = 0): ControlMessage => ({ type: "task-state", v, task: id(key, attempt), workerId: "w1", state: s });
const figures = (at: number, attempt: number, counts: Record<string, [number, number]>): ControlMessage => ({
  type: "task-metrics",
  v,
  jobId: "j1",
  workerId: "w1",
  timestamp: at,
  tasks: Object.entries(counts).map(([key, [recordsIn, recordsOut]]) => ({ task: id(key, attempt), sample: sample(recordsIn, recordsOut) })),
});
const trigger: ControlMessage = { type: "trigger-checkpoint", v, jobId: "j1", checkpointId: 4, timestamp: 0, mode: "exactly-once" };
const ALL = ["v1/0", "v1/1", "v2/0", "v2/1"];

function sample(recordsIn: number, recordsOut: number): TaskSample {
  return { recordsIn, recordsOut, bytesIn: 0, bytesOut: 0, busyMs: 0, backPressuredMs: 0, inputWatermark: -Infinity, outputWatermark: -Infinity, queuedFrames: 0, framesAwaitingCredit: 0, startedAt: 0 };
}

function fold(messages: ControlMessage[]): ClusterView {
  const view = new ClusterView("9.9.9");
  messages.forEach((message, i) => view.apply(message, 1_000 + i * 100));
  return view;
}

describe("weir info and weir list", () => {
  it("after a restart, say the records are those of the latest attempt, and list the end states in TASKS", () => {
    const view = fold([
      submit,
      status("running"),
      ...ALL.map((k) => state(k, "running")),
      figures(1_500, 0, { "v1/0": [0, 700], "v1/1": [0, 700], "v2/0": [600, 0], "v2/1": [600, 0] }),
      state("v2/1", "failed"),
      status("restarting"),
      status("running"),
      ...ALL.map((k) => state(k, "running", 1)),
      figures(2_900, 1, { "v1/0": [0, 500], "v1/1": [0, 500], "v2/0": [400, 0], "v2/1": [600, 0] }),
      trigger,
      state("v1/0", "finished", 1),
      state("v1/1", "finished", 1),
      state("v2/0", "finished", 1),
      state("v2/1", "canceled", 1),
      status("finished"),
    ]);
    const text = formatJobDetails(view.job("j1", 10_000)!);
    expect(text).toContain('job j1 "counts": finished, ran for 2s, 1 restart(s)\nrecords: counted by attempt 1, the latest; each attempt counts from zero after a restart\n');
    expect(text).toMatch(/\nv1 +Source: numbers +2 +0\/2 running, 2 finished +0 \(0\/s\) +1000 \(0\/s\) /);
    expect(text).toMatch(/\nv2 +count -> Sink: out +2 +0\/2 running, 1 finished, 1 canceled +1000 \(0\/s\) +0 \(0\/s\) /);
    // The checkpoint in flight when the job ended.
    expect(text).toContain("checkpoints: 0 completed, 0 failed, 1 aborted, 0 in progress\n");
    expect(text).toMatch(/\n4 +checkpoint +aborted +\d+ ms +0 B +0\/4 +the job ended \(finished\)\n/);
    expect(formatJobList(view.jobs(10_000), 10_000)).toMatch(/\nj1 +counts +finished +.* +0\/4 running, 3 finished, 1 canceled\n$/);
  });

  it("after a restart of one region, say each subtask's figures are its latest attempt's; without a restart, say nothing of attempts", () => {
    const view = fold([submit, status("running"), ...ALL.map((k) => state(k, "running")), state("v2/1", "failed"), status("restarting"), status("running"), state("v2/1", "running", 2)]);
    expect(formatJobDetails(view.job("j1", 5_000)!)).toContain("\nrecords: counted by each subtask's latest attempt (0 to 2); each attempt counts from zero after a restart\n");
    const calm = fold([submit, status("running"), ...ALL.map((k) => state(k, "running"))]);
    expect(formatJobDetails(calm.job("j1", 5_000)!)).not.toContain("records:");
  });

  it("count every end state in TASKS", () => {
    expect(taskCounts({ running: 2, finished: 1, failed: 1, canceled: 3, deploying: 1 })).toBe("2/8 running, 1 finished, 1 failed, 3 canceled");
    expect(taskCounts({ created: 2 })).toBe("0/2 running");
  });
});
