// The checkpoint coordinator's decisions as traces: ticks, acknowledgements, declines, finished
// subtasks, ends of data and commit outcomes in, the effects it asks for out (published triggers and notices,
// commits, discards, savepoint replies, reports to the job master).

import { describe, expect, it } from "vitest";
import { initialPlannerState } from "../../src/coordinator/checkpoint-planner.ts";
import {
  initialCoordination,
  onAcknowledge,
  onCommitFailed,
  onCommitted,
  onDecline,
  onEndOfData,
  onSavepoint,
  onTick,
  type CoordinationEffect,
  type CoordinationSetup,
  type CoordinationState,
  type CoordinationStep,
  TRIGGER_RESEND_MS,
} from "../../src/coordinator/checkpoint-coordination.ts";
import type { CheckpointMetadata } from "../../src/checkpoint/checkpoint-metadata.ts";
import { type CheckpointingConfig, type JobGraphSpec, PROTOCOL_VERSION, type SubtaskId } from "../../src/messages/schema.ts";

const checkpointing: CheckpointingConfig = { intervalMs: 100, mode: "exactly-once", timeoutMs: 1000, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 1, retained: 1, retainOnCancel: false, storage: "jobmanager" };
const task = (vertexId: string, subtaskIndex: number): SubtaskId => ({ jobId: "j1", vertexId, subtaskIndex, attempt: 0 });
const tasks = [task("v1", 0), task("v2", 0)];
const key = (t: SubtaskId) => `${t.vertexId}-${t.subtaskIndex}`;
const jobGraph = {
  jobName: "job",
  vertices: [
    { id: "v1", name: "source", parallelism: 1, maxParallelism: 128, nodes: [1], operatorUids: ["src"], isSource: true, bufferTimeoutMs: 100 },
    { id: "v2", name: "sink", parallelism: 1, maxParallelism: 128, nodes: [2], operatorUids: ["sink"], isSource: false, bufferTimeoutMs: 100 },
  ],
  edges: [],
  digest: "d",
  config: { jobName: "job", parallelism: 1, maxParallelism: 128, bufferTimeoutMs: 100 },
} as JobGraphSpec;

function setupWith(config: CheckpointingConfig | undefined): CoordinationSetup {
  return { jobId: "j1", jobGraph, config, epoch: 1, tasks: tasks.map((t) => ({ key: key(t), task: t })) };
}

function start(finished: string[] = []): CoordinationState {
  return initialCoordination({ planner: { ...initialPlannerState, nextId: 1, lastTriggeredAt: 0 }, finished, kept: [] });
}

/** The effects of a step, as short strings: what a reader checks first. */
function summary(step: CoordinationStep): string[] {
  return step.effects.filter((e) => e.kind !== "log").map(label);
}

function label(effect: CoordinationEffect): string {
  switch (effect.kind) {
    case "trigger":
      return `trigger ${effect.message.checkpointId}${effect.message.savepointDir ? " savepoint" : ""}`;
    case "notify":
      return `notify ${effect.checkpointId} ${effect.outcome}`;
    case "commit":
      return `commit ${effect.checkpointId}`;
    case "discard":
      return `discard ${effect.checkpointId}`;
    case "reply":
      return `reply ${effect.error ?? effect.location}`;
    case "report":
      return `report ${effect.report.type}`;
    case "log":
      return "log";
  }
}

const ack = (t: SubtaskId) => ({ task: t, finished: false as const, operatorUids: [], handle: { kind: "inline" as const, bytes: new Uint8Array([1]), digest: "x" } });
const metadataOf = (step: CoordinationStep): CheckpointMetadata => (step.effects.find((e) => e.kind === "commit") as Extract<CoordinationEffect, { kind: "commit" }>).metadata;

describe("the checkpoint coordinator's decisions", () => {
  it("triggers when the interval is due, commits once every subtask acknowledged, then notifies completion", () => {
    const setup = setupWith(checkpointing);
    const early = onTick(setup, start(), 50);
    expect(summary(early)).toEqual([]);
    const triggered = onTick(setup, early.state, 100);
    expect(summary(triggered)).toEqual(["report CHECKPOINT_TRIGGERED", "trigger 1"]);
    const first = onAcknowledge(setup, triggered.state, key(tasks[0]), ack(tasks[0]), 1);
    expect(summary(first)).toEqual([]);
    const second = onAcknowledge(setup, first.state, key(tasks[1]), ack(tasks[1]), 1);
    expect(summary(second)).toEqual(["commit 1"]);
    expect(metadataOf(second).subtasks.map((s) => s.vertexId)).toEqual(["v1", "v2"]);
    const done = onCommitted(setup, second.state, { checkpointId: 1, location: "loc-1", metadata: metadataOf(second) }, 120);
    expect(summary(done)).toEqual(["notify 1 complete", "report CHECKPOINT_COMPLETED"]);
    expect(done.state.inFlight.size).toBe(0);
    expect(done.state.kept.map((k) => k.id)).toEqual([1]);
  });

  it("a checkpoint still waiting sends its trigger again every 2 s, naming whom it waits for, until it completes", () => {
    const setup = setupWith({ ...checkpointing, timeoutMs: 60_000 });
    const triggered = onTick(setup, start(), 100);
    let state = onAcknowledge(setup, triggered.state, key(tasks[0]), ack(tasks[0]), 1).state;
    expect(summary(onTick(setup, state, 100 + TRIGGER_RESEND_MS - 1))).toEqual([]);
    const again = onTick(setup, state, 100 + TRIGGER_RESEND_MS);
    expect(summary(again)).toEqual(["trigger 1"]);
    expect(again.effects.find((e) => e.kind === "trigger")).toMatchObject({ again: true, message: triggered.effects.find((e) => e.kind === "trigger")!.message });
    expect(again.effects.find((e) => e.kind === "log")).toMatchObject({ fields: { checkpointId: 1, waitingFor: [key(tasks[1])] } });
    state = again.state;
    expect(summary(onTick(setup, state, 100 + 2 * TRIGGER_RESEND_MS - 1))).toEqual([]);
    expect(summary(onTick(setup, state, 100 + 2 * TRIGGER_RESEND_MS))).toEqual(["trigger 1"]);
    const done = onAcknowledge(setup, state, key(tasks[1]), ack(tasks[1]), 1);
    expect(summary(done)).toEqual(["commit 1"]);
  });

  it("a repeated acknowledgement does not commit twice", () => {
    const setup = setupWith(checkpointing);
    let state = onTick(setup, start(), 100).state;
    state = onAcknowledge(setup, state, key(tasks[0]), ack(tasks[0]), 1).state;
    const committing = onAcknowledge(setup, state, key(tasks[1]), ack(tasks[1]), 1);
    expect(summary(committing)).toEqual(["commit 1"]);
    expect(summary(onAcknowledge(setup, committing.state, key(tasks[1]), ack(tasks[1]), 1))).toEqual([]);
  });

  it("a retained count of 1 discards the previous checkpoint when the next completes", () => {
    const setup = setupWith(checkpointing);
    let state = start();
    const complete = (id: number, now: number) => {
      state = onTick(setup, state, now).state;
      state = onAcknowledge(setup, state, key(tasks[0]), ack(tasks[0]), id).state;
      const committing = onAcknowledge(setup, state, key(tasks[1]), ack(tasks[1]), id);
      const done = onCommitted(setup, committing.state, { checkpointId: id, location: `loc-${id}`, metadata: metadataOf(committing) }, now + 1);
      state = done.state;
      return summary(done);
    };
    expect(complete(1, 100)).toEqual(["notify 1 complete", "report CHECKPOINT_COMPLETED"]);
    expect(complete(2, 300)).toEqual(["notify 2 complete", "discard 1", "report CHECKPOINT_COMPLETED"]);
  });

  it("a decline aborts: subtasks are told, its state is discarded; past the tolerable count the job master hears it", () => {
    const setup = setupWith(checkpointing);
    const first = onTick(setup, start(), 100);
    const declined = onDecline(setup, first.state, { type: "checkpoint-decline", v: PROTOCOL_VERSION, jobId: "j1", checkpointId: 1, task: tasks[1], reason: "disk full" } as never, 110);
    expect(summary(declined)).toEqual(["notify 1 aborted", "discard 1"]);
    const second = onTick(setup, declined.state, 200);
    expect(summary(second)).toEqual(["report CHECKPOINT_TRIGGERED", "trigger 2"]);
    const failedAgain = onCommitFailed(setup, second.state, 2, "storage unreachable", 210);
    expect(summary(failedAgain)).toEqual(["notify 2 aborted", "discard 2", "report CHECKPOINT_FAILURES_EXCEEDED"]);
  });

  it("expires a checkpoint still waiting after its timeout, naming the subtasks it waited for", () => {
    const setup = setupWith(checkpointing);
    const triggered = onTick(setup, start(), 100);
    const expired = onTick(setup, onAcknowledge(setup, triggered.state, key(tasks[0]), ack(tasks[0]), 1).state, 1100);
    expect(summary(expired).slice(0, 2)).toEqual(["notify 1 aborted", "discard 1"]);
    const warning = expired.effects.find((e) => e.kind === "log" && e.level === "warn") as Extract<CoordinationEffect, { kind: "log" }>;
    expect(warning.fields.reason).toBe("expired after 1000 ms (still waiting for v2-0)");
  });

  it("a finished subtask counts as acknowledged, for checkpoints in flight and later ones", () => {
    const setup = setupWith(checkpointing);
    const triggered = onTick(setup, start(), 100);
    const finished = onAcknowledge(setup, triggered.state, key(tasks[0]), { task: tasks[0], finished: true });
    expect(summary(finished)).toEqual([]);
    const committing = onAcknowledge(setup, finished.state, key(tasks[1]), ack(tasks[1]), 1);
    expect(metadataOf(committing).subtasks.map((s) => [s.vertexId, s.finished === true])).toEqual([
      ["v1", true],
      ["v2", false],
    ]);
  });

  it("a stop-with-savepoint without drain: the savepoint is triggered with its directory, replied to, and the job master told to stop", () => {
    const setup = setupWith(undefined);
    const requested = onSavepoint(setup, start(), { dir: "/sp", reply: "inbox.1", stop: "terminate" }, 10);
    expect(summary(requested)).toEqual(["report CHECKPOINT_TRIGGERED", "report SAVEPOINTS_IN_FLIGHT", "trigger 1 savepoint"]);
    let state = onAcknowledge(setup, requested.state, key(tasks[0]), ack(tasks[0]), 1).state;
    const committing = onAcknowledge(setup, state, key(tasks[1]), ack(tasks[1]), 1);
    expect(committing.effects.find((e) => e.kind === "commit")).toMatchObject({ savepointDir: "/sp" });
    state = committing.state;
    const done = onCommitted(setup, state, { checkpointId: 1, location: "file:///sp/1", metadata: metadataOf(committing) }, 20);
    expect(summary(done)).toEqual(["notify 1 complete", "report CHECKPOINT_COMPLETED", "reply file:///sp/1", "report SAVEPOINTS_IN_FLIGHT", "report STOP_AFTER_SAVEPOINT"]);
  });

  it("a savepoint of a job whose subtasks have all finished is refused with a reply", () => {
    const setup = setupWith(undefined);
    const refused = onSavepoint(setup, start(tasks.map(key)), { dir: "/sp", reply: "inbox.2" }, 10);
    expect(summary(refused)).toEqual(["report CHECKPOINT_TRIGGERED", "reply every task of the job has finished"]);
    expect(refused.state.inFlight.size).toBe(0);
  });

  it("without periodic checkpointing a tick triggers nothing", () => {
    expect(summary(onTick(setupWith(undefined), start(), 10_000))).toEqual([]);
  });

  describe("the final checkpoint", () => {
    const hourly = { ...checkpointing, intervalMs: 3_600_000 };

    it("is triggered at once, without waiting for the interval, when the last source subtask reports the end of its input", () => {
      const setup = setupWith(hourly);
      const sinkFirst = onEndOfData(setup, start(), key(tasks[1]), 10);
      expect(summary(sinkFirst)).toEqual([]);
      const sourceEnded = onEndOfData(setup, sinkFirst.state, key(tasks[0]), 20);
      expect(summary(sourceEnded)).toEqual(["report CHECKPOINT_TRIGGERED", "trigger 1"]);
      expect(sourceEnded.state.finalCheckpoint).toBe(1);
      // Reported again (every second until the subtask ends): nothing more is triggered.
      expect(summary(onEndOfData(setup, sourceEnded.state, key(tasks[0]), 500))).toEqual([]);
      expect(summary(onTick(setup, sourceEnded.state, 510))).toEqual([]);
    });

    it("a finished source counts as ended; a report from a subtask of another attempt is ignored", () => {
      const setup = setupWith(hourly);
      const stale = onEndOfData(setup, start(), "v1-0-old-attempt", 10);
      expect(summary(stale)).toEqual([]);
      expect(stale.state.endOfData.size).toBe(0);
      expect(summary(onEndOfData(setup, start([key(tasks[0])]), key(tasks[1]), 10))).toEqual(["report CHECKPOINT_TRIGGERED", "trigger 1"]);
    });

    it("waits for a checkpoint in flight (at most one at a time), then is triggered at the next tick", () => {
      const setup = setupWith(checkpointing);
      const periodic = onTick(setup, start(), 100);
      const ended = onEndOfData(setup, periodic.state, key(tasks[0]), 110);
      expect(summary(ended)).toEqual([]);
      let state = onAcknowledge(setup, ended.state, key(tasks[0]), ack(tasks[0]), 1).state;
      const committing = onAcknowledge(setup, state, key(tasks[1]), ack(tasks[1]), 1);
      state = onCommitted(setup, committing.state, { checkpointId: 1, location: "loc-1", metadata: metadataOf(committing) }, 120).state;
      expect(summary(onTick(setup, state, 130))).toEqual(["report CHECKPOINT_TRIGGERED", "trigger 2"]);
    });

    it("a periodic checkpoint triggered after every source ended is the final one: no other is triggered at once", () => {
      const setup = setupWith(checkpointing);
      const ended = onEndOfData(setup, onTick(setup, start(), 50).state, key(tasks[0]), 60);
      expect(summary(ended)).toEqual(["report CHECKPOINT_TRIGGERED", "trigger 1"]);
      const aborted = onDecline(setup, ended.state, { type: "checkpoint-decline", v: PROTOCOL_VERSION, jobId: "j1", checkpointId: 1, task: tasks[1], reason: "disk full" } as never, 70);
      // The final checkpoint failed: the next is triggered at once again, not after the interval.
      expect(aborted.state.finalCheckpoint).toBeUndefined();
      expect(summary(onTick(setup, aborted.state, 80))).toEqual(["report CHECKPOINT_TRIGGERED", "trigger 2"]);
    });

    it("a subtask still waiting after the final checkpoint completed is sent its notice again (the first was lost)", () => {
      const setup = setupWith(hourly);
      const sinkEnded = onEndOfData(setup, start(), key(tasks[1]), 10);
      const sourceEnded = onEndOfData(setup, sinkEnded.state, key(tasks[0]), 20);
      let state = onAcknowledge(setup, sourceEnded.state, key(tasks[0]), ack(tasks[0]), 1).state;
      const committing = onAcknowledge(setup, state, key(tasks[1]), ack(tasks[1]), 1);
      // Reported again before the final checkpoint completed: nothing to send yet.
      expect(summary(onEndOfData(setup, committing.state, key(tasks[1]), 30))).toEqual([]);
      state = onCommitted(setup, committing.state, { checkpointId: 1, location: "loc-1", metadata: metadataOf(committing) }, 40).state;
      expect(summary(onEndOfData(setup, state, key(tasks[1]), 1_040))).toEqual(["notify 1 complete"]);
    });

    it("without periodic checkpointing nothing is triggered", () => {
      expect(summary(onEndOfData(setupWith(undefined), start(), key(tasks[0]), 10))).toEqual([]);
    });
  });
});
