// The CheckpointCoordinator actor: one per running execution of a job, a child of its job master.
// Triggers periodic checkpoints (the pure planner decides when), sends trigger-checkpoint to the
// source subtasks, collects checkpoint-ack/decline (explicit PendingCheckpoint outcomes), commits
// completed checkpoints to storage, then sends checkpoint-notify to every subtask. Savepoints come
// as trigger-savepoint requests and are answered with savepoint-reply. Tells its job master of
// triggers, completions, savepoints in flight and of too many failures in a row.
//
//   active ─TICK─▶ (trigger?) ─ACK…─▶ commit ─COMMITTED─▶ notify complete · retention
//      └─DECLINE / timeout / COMMIT_FAILED─▶ abort ─▶ notify aborted (job fails past the tolerable count)

import { enqueueActions, fromCallback, setup, type AnyActorRef } from "xstate";
import { subjects } from "../bus/subjects.ts";
import type { CheckpointMetadata, SnapshotKind } from "../checkpoint/checkpoint-metadata.ts";
import type { CheckpointStorage } from "../checkpoint/checkpoint-storage.ts";
import { savepointStorage } from "../checkpoint/savepoint-storage.ts";
import { retainCheckpoints, type KeptCheckpoint } from "../checkpoint/retention.ts";
import { completed, decideTrigger, failed, initialPlannerState, timedOut, type CheckpointConfig, type PlannerState } from "../coordinator/checkpoint-planner.ts";
import { buildMetadata, type SubtaskAck } from "../coordinator/completed-checkpoint.ts";
import { PendingCheckpoint, type AckOutcome } from "../coordinator/pending-checkpoint.ts";
import type { CheckpointAck, CheckpointDecline, CheckpointingConfig, JobGraphSpec, SubtaskId } from "../messages/schema.ts";
import { listen, send, taskKey, type ActorDeps } from "./actor-deps.ts";

/** How often timeouts are checked and periodic triggers reconsidered (ms). */
const TICK_MS = 100;

export interface CheckpointCoordinatorInput {
  deps: ActorDeps;
  jobId: string;
  jobGraph: JobGraphSpec;
  /** Absent: no periodic checkpoints, savepoints only. */
  config?: CheckpointingConfig;
  storage: CheckpointStorage;
  epoch: number;
  /** The subtasks of this execution; those already finished take no part. */
  tasks: readonly { task: SubtaskId; finished: boolean }[];
  firstCheckpointId: number;
  /** Completed checkpoints kept so far (retention goes on across restarts). */
  kept: readonly KeptCheckpoint[];
}

interface InFlight {
  checkpoint: PendingCheckpoint<SubtaskAck>;
  kind: SnapshotKind;
  savepoint?: { dir: string; reply?: string; stop?: "drain" | "terminate" };
}

interface CoordinatorContext extends CheckpointCoordinatorInput {
  planner: PlannerState;
  inFlight: Map<number, InFlight>;
  finished: Set<string>;
  keptCheckpoints: KeptCheckpoint[];
}

export type CheckpointCoordinatorEvent =
  | { type: "TICK" }
  | { type: "ACK"; message: CheckpointAck }
  | { type: "DECLINE"; message: CheckpointDecline }
  | { type: "TASK_FINISHED"; task: SubtaskId }
  | { type: "SAVEPOINT"; dir: string; stop?: "drain" | "terminate"; reply?: string }
  | { type: "COMMITTED"; checkpointId: number; location: string; metadata: CheckpointMetadata }
  | { type: "COMMIT_FAILED"; checkpointId: number; reason: string };

/** What the job master hears. */
export type CoordinatorReport =
  | { type: "CHECKPOINT_TRIGGERED"; checkpointId: number }
  | { type: "CHECKPOINT_COMPLETED"; kind: SnapshotKind; metadata: CheckpointMetadata; location: string; kept: KeptCheckpoint[] }
  | { type: "SAVEPOINTS_IN_FLIGHT"; count: number }
  | { type: "CHECKPOINT_FAILURES_EXCEEDED"; reason: string }
  /** A stop-with-savepoint without drain has its savepoint: the job master cancels the subtasks and the job ends. */
  | { type: "STOP_AFTER_SAVEPOINT"; location: string };

const inbox = fromCallback<CheckpointCoordinatorEvent, { deps: ActorDeps; jobId: string }>(({ input: { deps, jobId }, sendBack }) => {
  const endpoint = `checkpoint-coordinator ${jobId}`;
  const subs = [
    listen(deps, endpoint, subjects.checkpointAcks(jobId), ["checkpoint-ack", "checkpoint-decline"], (m) =>
      sendBack(m.type === "checkpoint-ack" ? { type: "ACK", message: m } : { type: "DECLINE", message: m }),
    ),
    listen(deps, endpoint, subjects.savepoint(jobId), ["trigger-savepoint"], (m, reply) => sendBack({ type: "SAVEPOINT", dir: m.dir, stop: m.stop, reply })),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
});

function plannerConfig(config: CheckpointingConfig): CheckpointConfig {
  return { intervalMs: config.intervalMs, timeoutMs: config.timeoutMs, minPauseMs: config.minPauseMs, maxConcurrent: config.maxConcurrent, tolerableFailures: config.tolerableFailures };
}

const SAVEPOINT_TIMEOUT_MS = 10 * 60_000;

export const checkpointCoordinatorMachine = setup({
  types: { input: {} as CheckpointCoordinatorInput, context: {} as CoordinatorContext, events: {} as CheckpointCoordinatorEvent },
  actors: { inbox },
  actions: {
    tick: enqueueActions(({ context, enqueue, self }) => {
      const report: Report = (r) => enqueue.sendParent(r);
      const now = context.deps.clock.now();
      for (const [id, flight] of context.inFlight) {
        const timeoutMs = flight.kind === "savepoint" ? SAVEPOINT_TIMEOUT_MS : (context.config?.timeoutMs ?? SAVEPOINT_TIMEOUT_MS);
        if (now - flight.checkpoint.triggeredAt >= timeoutMs) abort(context, id, `expired after ${timeoutMs} ms (still waiting for ${flight.checkpoint.outstanding.join(", ")})`, report);
      }
      if (context.config) {
        const config = plannerConfig(context.config);
        for (const id of timedOut(config, context.planner, now)) abort(context, id, "timed out", report);
        const decision = decideTrigger(config, context.planner, now);
        if (decision.trigger) {
          context.planner = decision.state;
          trigger(context, decision.checkpointId, "checkpoint", undefined, report, self);
        }
      }
    }),
    savepoint: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== "SAVEPOINT") return;
      const checkpointId = context.planner.nextId;
      context.planner = { ...context.planner, nextId: checkpointId + 1 };
      trigger(context, checkpointId, "savepoint", { dir: event.dir, reply: event.reply, stop: event.stop }, (r) => enqueue.sendParent(r), self);
    }),
    acknowledge: enqueueActions(({ context, event, self }) => {
      if (event.type !== "ACK" && event.type !== "TASK_FINISHED") return;
      if (event.type === "TASK_FINISHED") context.finished.add(taskKey(event.task));
      for (const [id, flight] of context.inFlight) {
        if (event.type === "ACK" && event.message.checkpointId !== id) continue;
        const ack: SubtaskAck =
          event.type === "ACK" ? { task: event.message.task, finished: false, handle: event.message.handle, operatorUids: event.message.operatorUids, references: event.message.references, operatorState: event.message.operatorState, unionState: event.message.unionState } : { task: event.task, finished: true };
        const outcome: AckOutcome = flight.checkpoint.acknowledge(taskKey(ack.task), ack);
        if (outcome !== "success" && event.type === "ACK") context.deps.log.debug({ checkpointId: id, task: ack.task, outcome }, "checkpoint acknowledgement not applied");
        if (flight.checkpoint.isFullyAcknowledged) commit(context, id, flight, self);
      }
    }),
    decline: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "DECLINE") return;
      const { checkpointId, task, reason } = event.message;
      if (context.inFlight.has(checkpointId)) abort(context, checkpointId, `declined by ${task.vertexId}[${task.subtaskIndex}]: ${reason}`, (r) => enqueue.sendParent(r));
    }),
    committed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "COMMITTED") return;
      const flight = context.inFlight.get(event.checkpointId);
      if (!flight) return;
      context.inFlight.delete(event.checkpointId);
      const { deps, jobId } = context;
      const report: Report = (r) => enqueue.sendParent(r);
      deps.log.info({ checkpointId: event.checkpointId, kind: flight.kind, location: event.location }, `${flight.kind} completed`);
      send(deps, subjects.checkpointControl(jobId), { type: "checkpoint-notify", jobId, checkpointId: event.checkpointId, outcome: "complete" });
      if (flight.kind === "checkpoint") {
        context.planner = completed(context.planner, event.checkpointId, deps.clock.now());
        const references = [...new Set(event.metadata.subtasks.flatMap((s) => s.references ?? []))];
        const { kept, discard } = retainCheckpoints(context.keptCheckpoints, { id: event.checkpointId, references }, context.config?.retained);
        context.keptCheckpoints = kept;
        for (const id of discard) void context.storage.discard(jobId, id).catch((error: Error) => deps.log.warn({ err: error, checkpointId: id }, "discarding an old checkpoint failed"));
      }
      report({ type: "CHECKPOINT_COMPLETED", kind: flight.kind, metadata: event.metadata, location: event.location, kept: [...context.keptCheckpoints] });
      if (flight.kind === "savepoint") {
        reply(context, flight, { location: event.location });
        report({ type: "SAVEPOINTS_IN_FLIGHT", count: savepointsInFlight(context) });
        if (flight.savepoint?.stop === "terminate") report({ type: "STOP_AFTER_SAVEPOINT", location: event.location });
      }
    }),
    commitFailed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "COMMIT_FAILED") return;
      abort(context, event.checkpointId, `committing it failed: ${event.reason}`, (r) => enqueue.sendParent(r));
    }),
  },
}).createMachine({
  id: "checkpoint-coordinator",
  context: ({ input }) => ({
    ...input,
    planner: { ...initialPlannerState, nextId: input.firstCheckpointId, lastTriggeredAt: input.deps.clock.now() },
    inFlight: new Map(),
    finished: new Set(input.tasks.filter((t) => t.finished).map((t) => taskKey(t.task))),
    keptCheckpoints: [...input.kept],
  }),
  invoke: { src: "inbox", input: ({ context }) => ({ deps: context.deps, jobId: context.jobId }) },
  initial: "active",
  states: {
    active: {
      after: { [TICK_MS]: { target: "active", reenter: true, actions: "tick" } },
      on: {
        ACK: { actions: "acknowledge" },
        TASK_FINISHED: { actions: "acknowledge" },
        DECLINE: { actions: "decline" },
        SAVEPOINT: { actions: "savepoint" },
        COMMITTED: { actions: "committed" },
        COMMIT_FAILED: { actions: "commitFailed" },
      },
    },
  },
});

/** Sends a report to the job master (from inside an action). */
type Report = (report: CoordinatorReport) => void;

function savepointsInFlight(context: CoordinatorContext): number {
  return [...context.inFlight.values()].filter((f) => f.kind === "savepoint").length;
}

/** Starts checkpoint `checkpointId`: waits for every subtask not finished, tells the sources. */
function trigger(context: CoordinatorContext, checkpointId: number, kind: SnapshotKind, savepoint: InFlight["savepoint"], report: Report, _self: AnyActorRef): void {
  const { deps, jobId } = context;
  const now = deps.clock.now();
  const live = context.tasks.filter((t) => !context.finished.has(taskKey(t.task)));
  report({ type: "CHECKPOINT_TRIGGERED", checkpointId });
  if (live.length === 0) {
    if (savepoint) reply(context, { savepoint }, { error: "every task of the job has finished" });
    return;
  }
  const checkpoint = new PendingCheckpoint<SubtaskAck>(checkpointId, now, context.tasks.map((t) => taskKey(t.task)));
  for (const t of context.tasks) if (context.finished.has(taskKey(t.task))) checkpoint.acknowledge(taskKey(t.task), { task: t.task, finished: true });
  context.inFlight.set(checkpointId, { checkpoint, kind, savepoint });
  if (kind === "savepoint") report({ type: "SAVEPOINTS_IN_FLIGHT", count: savepointsInFlight(context) });
  const mode = context.config?.mode ?? "exactly-once";
  deps.log.debug({ checkpointId, kind }, `triggering ${kind}`);
  // Savepoints are always aligned: they may be restored at another parallelism.
  // With an aligned-checkpoint timeout, barriers start aligned and subtasks switch when it expires.
  const unaligned = kind === "checkpoint" && context.config?.unaligned === true && !context.config.alignedTimeoutMs ? true : undefined;
  send(deps, subjects.checkpointControl(jobId), { type: "trigger-checkpoint", jobId, checkpointId, timestamp: now, mode, savepointDir: savepoint?.dir, stop: savepoint?.stop, unaligned });
}

/** Every subtask acknowledged: write the metadata, then COMMITTED (or COMMIT_FAILED) comes back. */
function commit(context: CoordinatorContext, checkpointId: number, flight: InFlight, self: AnyActorRef): void {
  const acks = [...flight.checkpoint.complete().values()];
  const metadata = buildMetadata({ kind: flight.kind, jobId: context.jobId, jobGraph: context.jobGraph, checkpointId, timestamp: flight.checkpoint.triggeredAt, epoch: context.epoch, acks, unaligned: flight.kind === "checkpoint" && context.config?.unaligned === true });
  const write = flight.savepoint ? savepointStorage(flight.savepoint.dir).commit(metadata) : context.storage.commit(metadata);
  write.then(
    (location) => self.send({ type: "COMMITTED", checkpointId, location, metadata }),
    (error: Error) => self.send({ type: "COMMIT_FAILED", checkpointId, reason: error.message }),
  );
}

/** Gives up a checkpoint: subtasks are told, its state is deleted, the planner counts the failure. */
function abort(context: CoordinatorContext, checkpointId: number, reason: string, report: Report): void {
  const flight = context.inFlight.get(checkpointId);
  if (!flight) return;
  context.inFlight.delete(checkpointId);
  flight.checkpoint.abort(reason);
  const { deps, jobId } = context;
  deps.log.warn({ checkpointId, kind: flight.kind, reason }, `${flight.kind} aborted`);
  send(deps, subjects.checkpointControl(jobId), { type: "checkpoint-notify", jobId, checkpointId, outcome: "aborted" });
  if (flight.kind === "savepoint") {
    reply(context, flight, { error: `savepoint ${checkpointId} failed: ${reason}` });
    report({ type: "SAVEPOINTS_IN_FLIGHT", count: savepointsInFlight(context) });
    return;
  }
  void context.storage.discard(jobId, checkpointId).catch(() => undefined);
  if (!context.config) return;
  const decision = failed(plannerConfig(context.config), context.planner, checkpointId, deps.clock.now(), reason);
  context.planner = decision.state;
  if (decision.failJob) report({ type: "CHECKPOINT_FAILURES_EXCEEDED", reason: decision.reason });
}

function reply(context: CoordinatorContext, flight: Pick<InFlight, "savepoint">, outcome: { location?: string; error?: string }): void {
  const to = flight.savepoint?.reply;
  if (to) send(context.deps, to, { type: "savepoint-reply", jobId: context.jobId, ...outcome });
}
