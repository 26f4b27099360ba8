// The monitor's fold, fed message sequences as they cross the bus: what each view says after them.

import { describe, expect, it } from "vitest";
import type { ControlMessage, JobGraphSpec, TaskSample } from "../../src/messages/schema.ts";
import { ClusterView, MAX_CHECKPOINTS, MAX_ENDED_JOBS } from "../../src/monitor/cluster-view.ts";

const v = 1;

const graph: JobGraphSpec = {
  jobName: "counts",
  digest: "d",
  vertices: [
    { id: "v1", name: "Source: numbers", parallelism: 2, maxParallelism: 128, nodes: [1], operatorUids: ["numbers"], isSource: true, bufferTimeoutMs: 100 },
    { id: "v2", name: "count -> Sink: out", parallelism: 1, maxParallelism: 128, nodes: [2, 3], operatorUids: ["count", "out"], isSource: false, bufferTimeoutMs: 100 },
  ],
  edges: [{ id: "e0", source: "v1", target: "v2", partitioner: { kind: "hash" }, sourceNode: 1, targetNode: 2, inputIndex: 0 }],
  config: { jobName: "counts", parallelism: 2, maxParallelism: 128, bufferTimeoutMs: 100 },
};

const submit = (jobId: string): ControlMessage => ({ type: "submit-job", v, jobId, artifact: { kind: "in-process", key: jobId }, jobGraph: graph, secret: "0123456789abcdef" });
const status = (jobId: string, s: "running" | "restarting" | "finished" | "failed" | "canceled", error?: string): ControlMessage => ({ type: "job-status", v, jobId, status: s, error, timestamp: 0 });
const task = (vertexId: string, subtaskIndex: number, attempt = 0) => ({ jobId: "j1", vertexId, subtaskIndex, attempt });
const state = (vertexId: string, index: number, s: "running" | "finished" | "failed", attempt = 0, error?: string): ControlMessage => ({ type: "task-state", v, task: task(vertexId, index, attempt), workerId: "w1", state: s, error });
const sample = (over: Partial<TaskSample>): TaskSample => ({
  recordsIn: 0,
  recordsOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  busyMs: 0,
  backPressuredMs: 0,
  inputWatermark: -Infinity,
  outputWatermark: -Infinity,
  queuedFrames: 0,
  framesAwaitingCredit: 0,
  startedAt: 1_000,
  ...over,
});

function fold(messages: [number, ControlMessage][]): ClusterView {
  const view = new ClusterView("9.9.9");
  for (const [now, message] of messages) view.apply(message, now);
  return view;
}

describe("the monitor's view of a job", () => {
  it("follows a job from submission through running to its end, with figures and rates from the last two samples", () => {
    const view = fold([
      [1_000, submit("j1")],
      [1_100, status("j1", "running")],
      ...(["v1/0", "v1/1", "v2/0"].map((k) => [1_200, state(k.split("/")[0], Number(k.split("/")[1]), "running")]) as [number, ControlMessage][]),
      [2_000, { type: "task-metrics", v, jobId: "j1", workerId: "w1", timestamp: 2_000, tasks: [{ task: task("v1", 0), sample: sample({ recordsOut: 500, busyMs: 100 }) }, { task: task("v2", 0), sample: sample({ recordsIn: 400, inputWatermark: 7_000 }) }] }],
      [3_000, { type: "task-metrics", v, jobId: "j1", workerId: "w1", timestamp: 3_000, tasks: [{ task: task("v1", 0), sample: sample({ recordsOut: 1_500, busyMs: 400, backPressuredMs: 200 }) }, { task: task("v2", 0), sample: sample({ recordsIn: 1_400, inputWatermark: 9_000 }) }] }],
    ]);
    const job = view.job("j1", 3_500)!;
    expect([job.name, job.status, job.durationMs, job.tasks]).toEqual(["counts", "running", 2_500, { running: 3 }]);
    const [source, counter] = job.plan.vertices;
    expect(source.subtasks[0].metrics).toMatchObject({ recordsOut: 1_500, recordsOutPerSecond: 1_000, busyMsPerSecond: 300, backPressuredMsPerSecond: 200, idleMsPerSecond: 500, uptimeMs: 2_000 });
    // A subtask without a sample yet has no figures; the vertex sums what there is.
    expect(source.subtasks[1].metrics).toBeNull();
    expect(source.metrics).toMatchObject({ recordsOut: 1_500, recordsOutPerSecond: 1_000, busyMsPerSecond: 300 });
    expect(counter.metrics).toMatchObject({ recordsIn: 1_400, recordsInPerSecond: 1_000, inputWatermark: 9_000, outputWatermark: null });
    expect(job.plan.edges).toEqual([{ id: "e0", source: "v1", target: "v2", partitioner: "hash" }]);

    view.apply(state("v1", 0, "finished"), 4_000);
    view.apply(status("j1", "finished"), 4_100);
    const ended = view.job("j1", 9_000)!;
    expect([ended.status, ended.endTime, ended.durationMs]).toEqual(["finished", 4_100, 3_100]);
    // Once ended, nothing moves: rates are zero, the totals stay.
    expect(ended.plan.vertices[0].subtasks[0].metrics).toMatchObject({ recordsOut: 1_500, recordsOutPerSecond: 0, busyMsPerSecond: 0 });
    expect(view.jobs(9_000).map((j) => [j.id, j.status])).toEqual([["j1", "finished"]]);
    expect(view.overview()).toEqual({ version: "9.9.9", workers: 0, slotsTotal: 0, slotsAvailable: 0, jobs: { finished: 1 } });
  });

  it("takes a rescaled job's new graph from its status: parallelism and subtasks follow it", () => {
    const rescaled: JobGraphSpec = { ...graph, vertices: graph.vertices.map((vertex) => ({ ...vertex, parallelism: 3 })), config: { ...graph.config, parallelism: 3 } };
    const view = fold([
      [0, submit("j1")],
      [10, state("v1", 0, "running")],
      [20, { type: "job-status", v, jobId: "j1", status: "restarting", timestamp: 20, detail: "rescaled to parallelism 3", jobGraph: rescaled }],
      [30, state("v1", 2, "running", 1)],
    ]);
    const job = view.job("j1", 40)!;
    expect(job.parallelism).toBe(3);
    expect(job.plan.vertices.map((vertex) => vertex.parallelism)).toEqual([3, 3]);
    expect(job.restarts).toBe(1);
  });

  it("keeps the checkpoint history: triggers, acknowledgements with their stats, completion and abort", () => {
    const trigger = (checkpointId: number, savepointDir?: string): ControlMessage => ({ type: "trigger-checkpoint", v, jobId: "j1", checkpointId, timestamp: 0, mode: "exactly-once", savepointDir });
    const ack = (checkpointId: number, vertexId: string, index: number, bytes: number, alignmentMs: number): ControlMessage => ({ type: "checkpoint-ack", v, jobId: "j1", checkpointId, task: task(vertexId, index), operatorUids: [], stats: { syncMs: 1, asyncMs: 2, alignmentMs, bytes } });
    const view = fold([
      [0, submit("j1")],
      [10, status("j1", "running")],
      [100, trigger(1)],
      [120, ack(1, "v1", 0, 10, 0)],
      [130, ack(1, "v1", 1, 20, 0)],
      [130, ack(1, "v1", 1, 20, 0)], // a repeat counts once
      [150, ack(1, "v2", 0, 300, 7)],
      [160, { type: "checkpoint-notify", v, jobId: "j1", checkpointId: 1, outcome: "complete" }],
      [200, trigger(2, "/savepoints/sp-1")],
      [210, { type: "checkpoint-decline", v, jobId: "j1", checkpointId: 2, task: task("v2", 0), reason: "disk full" }],
      [220, { type: "checkpoint-notify", v, jobId: "j1", checkpointId: 2, outcome: "aborted" }],
      [300, trigger(3)],
    ]);
    const { counts, history } = view.job("j1", 350)!.checkpoints;
    expect(counts).toEqual({ completed: 1, failed: 1, aborted: 0, inProgress: 1 });
    expect(history.map((c) => [c.id, c.status, c.savepoint, c.durationMs, c.bytes, c.maxAlignmentMs, c.acknowledged, c.total, c.location, c.failure])).toEqual([
      [3, "in_progress", false, 50, 0, 0, 0, 3, undefined, undefined],
      [2, "failed", true, 20, 0, 0, 0, 3, "file:///savepoints/sp-1", "v2[0] declined: disk full"],
      [1, "completed", false, 60, 330, 7, 3, 3, undefined, undefined],
    ]);
    // The job ends: what was in flight is aborted, not pending for ever.
    view.apply(status("j1", "canceled"), 400);
    const ended = view.job("j1", 900)!.checkpoints;
    expect(ended.counts).toEqual({ completed: 1, failed: 1, aborted: 1, inProgress: 0 });
    expect(ended.history.map((c) => [c.id, c.status, c.durationMs, c.failure])).toEqual([
      [3, "aborted", 100, "the job ended (canceled)"],
      [2, "failed", 20, "v2[0] declined: disk full"],
      [1, "completed", 60, undefined],
    ]);
  });

  it("a checkpoint triggered as the job ends is aborted, unless its completion notice comes after the end", () => {
    const trigger = (checkpointId: number): ControlMessage => ({ type: "trigger-checkpoint", v, jobId: "j1", checkpointId, timestamp: 0, mode: "exactly-once" });
    const view = fold([
      [0, submit("j1")],
      [10, status("j1", "running")],
      [100, trigger(1)],
      [200, status("j1", "finished")],
      // Other subjects than the job's status: they may cross the bus after it.
      [210, trigger(2)],
      [220, { type: "checkpoint-notify", v, jobId: "j1", checkpointId: 1, outcome: "complete" }],
    ]);
    const { counts, history } = view.job("j1", 500)!.checkpoints;
    expect(counts).toEqual({ completed: 1, failed: 0, aborted: 1, inProgress: 0 });
    expect(history.map((c) => [c.id, c.status, c.durationMs])).toEqual([
      [2, "aborted", 0],
      [1, "completed", 120],
    ]);
  });

  it("takes the final figures subtasks report after the job ended, and only those of each subtask's latest attempt", () => {
    const metrics = (at: number, attempt: number, recordsOut: number): ControlMessage => ({ type: "task-metrics", v, jobId: "j1", workerId: "w1", timestamp: at, tasks: [{ task: task("v1", 0, attempt), sample: sample({ recordsOut }) }] });
    const view = fold([
      [0, submit("j1")],
      [10, status("j1", "running")],
      [20, state("v1", 0, "running")],
      [1_000, metrics(1_000, 0, 400)],
      [1_100, state("v1", 0, "failed", 0, "Error: boom")],
      [1_200, status("j1", "restarting")],
      [1_300, status("j1", "running")],
      [1_400, state("v1", 0, "running", 1)],
      // The failed attempt's final report, late: not the new attempt's figures.
      [1_450, metrics(1_450, 0, 450)],
      [1_500, state("v1", 0, "finished", 1)],
      [1_600, status("j1", "finished")],
      // The new attempt's final figures, after the job's end.
      [1_700, metrics(1_500, 1, 1_000)],
    ]);
    const subtask = view.job("j1", 2_000)!.plan.vertices[0].subtasks[0];
    expect([subtask.attempt, subtask.state, subtask.metrics?.recordsOut]).toEqual([1, "finished", 1_000]);
  });

  it("names failed tasks by their operators, counts restarts and ignores reports of an older attempt", () => {
    const view = fold([
      [0, submit("j1")],
      [10, status("j1", "running")],
      [20, state("v2", 0, "failed", 0, "Error: boom")],
      [30, status("j1", "restarting")],
      [40, status("j1", "running")],
      [50, state("v2", 0, "running", 1)],
      [60, state("v2", 0, "failed", 0, "Error: late report of attempt 0")],
      [70, status("j1", "failed", "task v2[0] failed: Error: boom")],
    ]);
    const job = view.job("j1", 100)!;
    // A subtask that never reported its end ended with the job.
    expect([job.status, job.restarts, job.plan.vertices[1].subtasks[0].attempt, job.plan.vertices[1].subtasks[0].state]).toEqual(["failed", 1, 1, "canceled"]);
    // The job's failure repeats the task's: reported once.
    expect(job.exceptions).toEqual([{ timestamp: 20, message: "Error: boom", task: "\"count -> Sink: out\"[0] (v2)", workerId: "w1" }]);
  });

  it("a job taken over keeps the start, restarts and exceptions of its record; the takeover is one more restart", () => {
    const carried = { startTime: 1_000, restarts: 2, exceptions: [{ timestamp: 1_500, message: "Error: boom", task: "\"count -> Sink: out\"[0] (v2)", workerId: "w1" }] };
    const view = new ClusterView("9.9.9");
    view.adopt(submit("j1") as Extract<ControlMessage, { type: "submit-job" }>, carried, 50_000);
    view.apply(status("j1", "restarting"), 50_010);
    view.apply(status("j1", "running"), 50_100);
    view.apply(state("v1", 1, "failed", 4, "Error: again"), 50_200);
    const job = view.job("j1", 60_000)!;
    expect([job.startTime, job.durationMs, job.restarts]).toEqual([1_000, 59_000, 3]);
    expect(job.exceptions.map((e) => [e.timestamp, e.message])).toEqual([[50_200, "Error: again"], [1_500, "Error: boom"]]);
    expect(view.jobs(60_000)[0]).toMatchObject({ id: "j1", startTime: 1_000, durationMs: 59_000, restarts: 3 });
    // A record of an older version has no figures: the job counts from its takeover.
    const bare = new ClusterView("9.9.9");
    bare.adopt(submit("j2") as Extract<ControlMessage, { type: "submit-job" }>, undefined, 50_000);
    expect(bare.job("j2", 60_000)).toMatchObject({ startTime: 50_000, durationMs: 10_000, restarts: 0, exceptions: [] });
  });

  it("a failure no task reported (no slots) is the job's own exception; unknown jobs and strangers' reports change nothing", () => {
    const view = fold([
      [0, submit("j1")],
      [5, state("v9", 0, "failed")],
      [6, { type: "task-metrics", v, jobId: "nope", workerId: "w1", timestamp: 6, tasks: [] }],
      [10, status("j1", "failed", "could not get 3 slots within 30000 ms")],
    ]);
    expect(view.job("j1", 20)!.exceptions).toEqual([{ timestamp: 10, message: "could not get 3 slots within 30000 ms" }]);
    expect(view.job("nope", 20)).toBeUndefined();
  });

  it("keeps the last checkpoints and the last ended jobs only", () => {
    const view = fold([[0, submit("j1")]]);
    for (let id = 1; id <= MAX_CHECKPOINTS + 5; id++) view.apply({ type: "trigger-checkpoint", v, jobId: "j1", checkpointId: id, timestamp: 0, mode: "exactly-once" }, id);
    const history = view.job("j1", 100)!.checkpoints.history;
    expect([history.length, history[0].id, history.at(-1)!.id]).toEqual([MAX_CHECKPOINTS, MAX_CHECKPOINTS + 5, 6]);
    for (let i = 0; i < MAX_ENDED_JOBS + 3; i++) {
      view.apply(submit(`e${i}`), 1_000 + i);
      view.apply(status(`e${i}`, "finished"), 1_000 + i);
    }
    const ids = view.jobs(5_000).map((j) => j.id);
    expect(ids.length).toBe(MAX_ENDED_JOBS + 1); // the running j1 stays
    expect([ids.includes("j1"), ids.includes("e0"), ids.includes("e2"), ids.includes("e3")]).toEqual([true, false, false, true]);
  });
});

describe("a lost worker's subtasks", () => {
  it("fail with it: they will report nothing more", () => {
    const view = fold([
      [0, submit("j1")],
      [10, state("v1", 0, "running")],
      [10, { type: "task-state", v, task: task("v1", 1), workerId: "w2", state: "running" }],
      [20, { type: "worker-lost", v, workerId: "w1", jobIds: ["j1"], reason: "unreachable" }],
    ]);
    expect(view.job("j1", 30)!.plan.vertices[0].subtasks.map((s) => s.state)).toEqual(["failed", "running"]);
  });
});

describe("the monitor's history", () => {
  it("lists ended jobs an earlier job manager saw, until a newer run of the same id or newer ended jobs replace them", () => {
    const earlier = fold([
      [0, submit("old")],
      [10, status("old", "finished")],
    ]);
    const saved = earlier.job("old", 20)!;
    const view = fold([[100, submit("j1")]]);
    view.restore([saved]);
    expect(view.jobs(200).map((j) => [j.id, j.status])).toEqual([
      ["j1", "created"],
      ["old", "finished"],
    ]);
    expect(view.job("old", 200)).toEqual(saved);
    expect(view.overview().jobs).toEqual({ created: 1, finished: 1 });
    expect([view.hasEnded("old"), view.hasEnded("j1")]).toEqual([false, false]);
    view.apply(submit("old"), 300);
    expect(view.job("old", 300)!.status).toBe("created");
    for (let i = 0; i < MAX_ENDED_JOBS; i++) {
      view.apply(submit(`e${i}`), 1_000 + i);
      view.apply(status(`e${i}`, "finished"), 1_000 + i);
    }
    view.restore([{ ...saved, id: "ancient", endTime: 5 }]);
    expect(view.job("ancient", 5_000)).toBeUndefined();
  });
});

describe("the monitor's view of workers", () => {
  it("learns workers from registrations and heartbeats and forgets the lost", () => {
    const view = fold([
      [0, { type: "register-worker", v, workerId: "w1", slots: 4, host: "h1", pid: 11 }],
      [5, { type: "heartbeat", v, workerId: "w2", slots: 2, usedSlots: 2, timestamp: 5 }],
      [10, { type: "heartbeat", v, workerId: "w1", slots: 4, usedSlots: 1, timestamp: 10 }],
    ]);
    expect(view.workers()).toEqual([
      { id: "w1", host: "h1", pid: 11, slots: 4, usedSlots: 1, lastHeartbeat: 10 },
      { id: "w2", host: "unknown", pid: 0, slots: 2, usedSlots: 2, lastHeartbeat: 5 },
    ]);
    expect(view.overview()).toMatchObject({ workers: 2, slotsTotal: 6, slotsAvailable: 3 });
    view.apply({ type: "worker-lost", v, workerId: "w2", jobIds: [], reason: "heartbeat-timeout" }, 20);
    view.apply({ type: "unregister-worker", v, workerId: "w1" }, 30);
    expect(view.workers()).toEqual([]);
  });
});
