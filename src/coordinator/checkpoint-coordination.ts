// What the checkpoint coordinator decides, as pure steps: each event (a tick, a savepoint request,
// an acknowledgement, a decline, a finished subtask, a commit's outcome) and the current state give
// the next state and a list of effects — publish a trigger or a notice, commit or discard in
// storage, answer a savepoint request, report to the job master, log. The actor
// (src/actors/checkpoint-coordinator.ts) carries the effects out as named actions.
//
//   TICK ──(planner: due)──▶ trigger n ──ACK… (all subtasks)──▶ commit n ──COMMITTED──▶ notify complete · retention
//                                 └── DECLINE / timeout / COMMIT_FAILED ──▶ notify aborted · discard (job fails past the tolerable count)
//   END_OF_DATA (every source subtask) ──▶ trigger the final checkpoint at once (no waiting for the interval)

import type { CheckpointMetadata, SnapshotKind } from "../checkpoint/checkpoint-metadata.ts";
import { retainCheckpoints, type KeptCheckpoint } from "../checkpoint/retention.ts";
import type { Unversioned } from "../messages/codec.ts";
import type { CheckpointDecline, CheckpointingConfig, JobGraphSpec, SubtaskId, TriggerCheckpoint } from "../messages/schema.ts";
import { completed, decideTrigger, failed, timedOut, type CheckpointConfig, type PlannerState } from "./checkpoint-planner.ts";
import { buildMetadata, type SubtaskAck } from "./completed-checkpoint.ts";
import { PendingCheckpoint } from "./pending-checkpoint.ts";

/** Savepoints wait this long at most (periodic checkpoints use their configured timeout). */
export const SAVEPOINT_TIMEOUT_MS = 10 * 60_000;

/**
 * A checkpoint still waiting this long after its trigger was sent gets the trigger again: NATS
 * delivers at most once, and a trigger or an acknowledgement lost (e.g. while a client moves
 * between the servers of a cluster) would otherwise hold every later checkpoint back until the
 * timeout. Sources inject no second barrier; subtasks that answered answer again.
 */
export const TRIGGER_RESEND_MS = 2000;

/** What the coordinator of one execution knows from the start. */
export interface CoordinationSetup {
  jobId: string;
  jobGraph: JobGraphSpec;
  /** Absent: no periodic checkpoints, savepoints only. */
  config?: CheckpointingConfig;
  epoch: number;
  /** The subtasks of this execution, by key. */
  tasks: readonly { key: string; task: SubtaskId }[];
}

export interface InFlight {
  /** Acknowledgements are recorded on it in place; it is never shared beyond this state. */
  checkpoint: PendingCheckpoint<SubtaskAck>;
  kind: SnapshotKind;
  savepoint?: { dir: string; reply?: string; stop?: "drain" | "terminate" };
  /** The trigger, and when it was last sent. */
  trigger: Unversioned<TriggerCheckpoint>;
  sentAt: number;
}

export interface CoordinationState {
  readonly planner: PlannerState;
  readonly inFlight: ReadonlyMap<number, InFlight>;
  /** Keys of subtasks that have finished: they take no further part. */
  readonly finished: ReadonlySet<string>;
  /** Keys of subtasks that reached the end of their input and wait for a checkpoint of their state after it. */
  readonly endOfData: ReadonlySet<string>;
  /** A checkpoint triggered after every source subtask reached the end of its input: it covers their final state. */
  readonly finalCheckpoint?: number;
  /** The final checkpoint, once it has completed. */
  readonly finalCompleted?: number;
  readonly kept: readonly KeptCheckpoint[];
}

/** What the job master hears. */
export type CoordinatorReport =
  | { type: "CHECKPOINT_TRIGGERED"; checkpointId: number }
  | { type: "CHECKPOINT_COMPLETED"; kind: SnapshotKind; metadata: CheckpointMetadata; location: string; kept: KeptCheckpoint[] }
  | { type: "SAVEPOINTS_IN_FLIGHT"; count: number }
  | { type: "CHECKPOINT_FAILURES_EXCEEDED"; reason: string }
  /** A stop-with-savepoint without drain has its savepoint: the job master cancels the subtasks and the job ends. */
  | { type: "STOP_AFTER_SAVEPOINT"; location: string };

export type CoordinationEffect =
  /** `again`: the same trigger sent once more (nothing new is started). */
  | { kind: "trigger"; message: Unversioned<TriggerCheckpoint>; again?: true }
  | { kind: "notify"; checkpointId: number; outcome: "complete" | "aborted" }
  /** Write the metadata (to the savepoint directory, or the checkpoint storage); COMMITTED or COMMIT_FAILED comes back. */
  | { kind: "commit"; checkpointId: number; metadata: CheckpointMetadata; savepointDir?: string }
  | { kind: "discard"; checkpointId: number }
  | { kind: "reply"; to: string; location?: string; error?: string }
  | { kind: "report"; report: CoordinatorReport }
  | { kind: "log"; level: "debug" | "info" | "warn"; fields: Record<string, unknown>; message: string };

export interface CoordinationStep {
  state: CoordinationState;
  effects: CoordinationEffect[];
}

export function initialCoordination(start: { planner: PlannerState; finished: Iterable<string>; kept: readonly KeptCheckpoint[] }): CoordinationState {
  return { planner: start.planner, inFlight: new Map(), finished: new Set(start.finished), endOfData: new Set(), kept: [...start.kept] };
}

/** Expires overdue checkpoints and savepoints, then triggers a periodic checkpoint if the planner says it is due. */
export function onTick(setup: CoordinationSetup, state: CoordinationState, now: number): CoordinationStep {
  const step: CoordinationStep = { state, effects: [] };
  for (const [id, flight] of state.inFlight) {
    const timeoutMs = flight.kind === "savepoint" ? SAVEPOINT_TIMEOUT_MS : (setup.config?.timeoutMs ?? SAVEPOINT_TIMEOUT_MS);
    if (now - flight.checkpoint.triggeredAt >= timeoutMs) abort(setup, step, id, `expired after ${timeoutMs} ms (still waiting for ${flight.checkpoint.outstanding.join(", ")})`, now);
    else if (now - flight.sentAt >= TRIGGER_RESEND_MS && !awaitsEnumeratedReader(setup, flight)) sendAgain(step, id, flight, now);
  }
  if (!setup.config) return step;
  const config = plannerConfig(setup.config);
  for (const id of timedOut(config, step.state.planner, now)) abort(setup, step, id, "timed out", now);
  const decision = decideTrigger(config, step.state.planner, now);
  if (decision.trigger) {
    step.state = { ...step.state, planner: decision.state };
    noteFinal(setup, step, decision.checkpointId);
    trigger(setup, step, decision.checkpointId, "checkpoint", undefined, now);
  }
  triggerFinal(setup, step, now);
  return step;
}

/**
 * A subtask reached the end of its input and waits for a checkpoint of its state after it (it
 * says so again, up to every second, until it ends). Once every source subtask has, the final checkpoint
 * is triggered at once: a bounded job does not wait for the next interval to end.
 */
export function onEndOfData(setup: CoordinationSetup, state: CoordinationState, key: string, now: number): CoordinationStep {
  const step: CoordinationStep = { state, effects: [] };
  if (!state.endOfData.has(key) && !state.finished.has(key) && setup.tasks.some((t) => t.key === key)) {
    step.state = { ...state, endOfData: new Set(state.endOfData).add(key) };
  } else if (state.endOfData.has(key) && state.finalCompleted !== undefined) {
    // Still waiting after the final checkpoint completed: its notice was lost, so it goes out again.
    step.effects.push({ kind: "notify", checkpointId: state.finalCompleted, outcome: "complete" });
  }
  triggerFinal(setup, step, now);
  return step;
}

/** A savepoint was requested: it takes the next checkpoint id and is triggered at once. */
export function onSavepoint(setup: CoordinationSetup, state: CoordinationState, savepoint: NonNullable<InFlight["savepoint"]>, now: number): CoordinationStep {
  const checkpointId = state.planner.nextId;
  const step: CoordinationStep = { state: { ...state, planner: { ...state.planner, nextId: checkpointId + 1 } }, effects: [] };
  // Sinks commit on a savepoint's completion too: one taken after every source ended is final.
  noteFinal(setup, step, checkpointId);
  trigger(setup, step, checkpointId, "savepoint", savepoint, now);
  return step;
}

/**
 * A subtask acknowledged checkpoint `checkpointId`, or (`checkpointId` absent, `ack.finished`)
 * finished: then it counts as acknowledged for every checkpoint in flight and takes no further part.
 */
export function onAcknowledge(setup: CoordinationSetup, state: CoordinationState, key: string, ack: SubtaskAck, checkpointId?: number): CoordinationStep {
  const step: CoordinationStep = { state, effects: [] };
  if (ack.finished) step.state = { ...state, finished: new Set(state.finished).add(key) };
  for (const [id, flight] of state.inFlight) {
    if (checkpointId !== undefined && checkpointId !== id) continue;
    const outcome = flight.checkpoint.acknowledge(key, ack);
    if (outcome !== "success" && checkpointId !== undefined) step.effects.push({ kind: "log", level: "debug", fields: { checkpointId: id, task: ack.task, outcome }, message: "checkpoint acknowledgement not applied" });
    if (outcome === "success" && flight.checkpoint.isFullyAcknowledged) commit(setup, step, id, flight);
  }
  return step;
}

export function onDecline(setup: CoordinationSetup, state: CoordinationState, message: CheckpointDecline, now: number): CoordinationStep {
  const step: CoordinationStep = { state, effects: [] };
  const { checkpointId, task, reason } = message;
  abort(setup, step, checkpointId, `declined by ${task.vertexId}[${task.subtaskIndex}]: ${reason}`, now);
  return step;
}

/** The metadata is written: the checkpoint is complete everywhere. */
export function onCommitted(setup: CoordinationSetup, state: CoordinationState, done: { checkpointId: number; location: string; metadata: CheckpointMetadata }, now: number): CoordinationStep {
  const { checkpointId, location, metadata } = done;
  const flight = state.inFlight.get(checkpointId);
  const step: CoordinationStep = { state, effects: [] };
  if (!flight) return step;
  const inFlight = new Map(state.inFlight);
  inFlight.delete(checkpointId);
  step.state = { ...state, inFlight, finalCompleted: checkpointId === state.finalCheckpoint ? checkpointId : state.finalCompleted };
  step.effects.push({ kind: "log", level: "info", fields: { checkpointId, kind: flight.kind, location }, message: `${flight.kind} completed` });
  step.effects.push({ kind: "notify", checkpointId, outcome: "complete" });
  if (flight.kind === "checkpoint") {
    const references = [...new Set(metadata.subtasks.flatMap((s) => s.references ?? []))];
    const { kept, discard } = retainCheckpoints(state.kept, { id: checkpointId, references }, setup.config?.retained);
    step.state = { ...step.state, planner: completed(state.planner, checkpointId, now), kept };
    for (const id of discard) step.effects.push({ kind: "discard", checkpointId: id });
  }
  step.effects.push({ kind: "report", report: { type: "CHECKPOINT_COMPLETED", kind: flight.kind, metadata, location, kept: [...step.state.kept] } });
  if (flight.kind === "savepoint") {
    reply(step, flight, { location });
    step.effects.push({ kind: "report", report: { type: "SAVEPOINTS_IN_FLIGHT", count: savepointsInFlight(step.state) } });
    if (flight.savepoint?.stop === "terminate") step.effects.push({ kind: "report", report: { type: "STOP_AFTER_SAVEPOINT", location } });
  }
  return step;
}

export function onCommitFailed(setup: CoordinationSetup, state: CoordinationState, checkpointId: number, reason: string, now: number): CoordinationStep {
  const step: CoordinationStep = { state, effects: [] };
  abort(setup, step, checkpointId, `committing it failed: ${reason}`, now);
  return step;
}

export function savepointsInFlight(state: CoordinationState): number {
  return [...state.inFlight.values()].filter((f) => f.kind === "savepoint").length;
}

/** Every source subtask has reached the end of its input (or finished). */
function sourcesEnded(setup: CoordinationSetup, state: CoordinationState): boolean {
  const sources = new Set(setup.jobGraph.vertices.filter((v) => v.isSource).map((v) => v.id));
  return setup.tasks.every((t) => !sources.has(t.task.vertexId) || state.endOfData.has(t.key) || state.finished.has(t.key));
}

/** A checkpoint triggered now, after every source ended, is final: no other needs triggering at once. */
function noteFinal(setup: CoordinationSetup, step: CoordinationStep, checkpointId: number): void {
  if (step.state.finalCheckpoint === undefined && sourcesEnded(setup, step.state)) step.state = { ...step.state, finalCheckpoint: checkpointId };
}

/**
 * Triggers the final checkpoint at once when every source has ended and none triggered since
 * covers it (the interval and the minimum pause do not apply; the limit on checkpoints in flight does).
 */
function triggerFinal(setup: CoordinationSetup, step: CoordinationStep, now: number): void {
  const { state } = step;
  if (!setup.config || state.finalCheckpoint !== undefined || !sourcesEnded(setup, state)) return;
  if (setup.tasks.every((t) => state.finished.has(t.key))) return;
  if (Object.keys(state.planner.inFlight).length >= setup.config.maxConcurrent) return;
  const checkpointId = state.planner.nextId;
  const planner = { ...state.planner, nextId: checkpointId + 1, inFlight: { ...state.planner.inFlight, [checkpointId]: now }, lastTriggeredAt: now };
  step.state = { ...state, planner, finalCheckpoint: checkpointId };
  step.effects.push({ kind: "log", level: "debug", fields: { checkpointId }, message: "every source has ended: triggering the final checkpoint" });
  trigger(setup, step, checkpointId, "checkpoint", undefined, now);
}

function plannerConfig(config: CheckpointingConfig): CheckpointConfig {
  return { intervalMs: config.intervalMs, timeoutMs: config.timeoutMs, minPauseMs: config.minPauseMs, maxConcurrent: config.maxConcurrent, tolerableFailures: config.tolerableFailures };
}

/** Starts checkpoint `checkpointId`: waits for every subtask not finished, tells the sources. */
function trigger(setup: CoordinationSetup, step: CoordinationStep, checkpointId: number, kind: SnapshotKind, savepoint: InFlight["savepoint"], now: number): void {
  const { state } = step;
  step.effects.push({ kind: "report", report: { type: "CHECKPOINT_TRIGGERED", checkpointId } });
  if (setup.tasks.every((t) => state.finished.has(t.key))) {
    if (savepoint) reply(step, { savepoint }, { error: "every task of the job has finished" });
    return;
  }
  const checkpoint = new PendingCheckpoint<SubtaskAck>(checkpointId, now, setup.tasks.map((t) => t.key));
  for (const t of setup.tasks) if (state.finished.has(t.key)) checkpoint.acknowledge(t.key, { task: t.task, finished: true });
  const mode = setup.config?.mode ?? "exactly-once";
  // Savepoints are always aligned: they may be restored at another parallelism.
  // With an aligned-checkpoint timeout, barriers start aligned and subtasks switch when it expires.
  const unaligned = kind === "checkpoint" && setup.config?.unaligned === true && !setup.config.alignedTimeoutMs ? true : undefined;
  const message: Unversioned<TriggerCheckpoint> = { type: "trigger-checkpoint", jobId: setup.jobId, checkpointId, timestamp: now, mode, savepointDir: savepoint?.dir, stop: savepoint?.stop, unaligned };
  step.state = { ...state, inFlight: new Map(state.inFlight).set(checkpointId, { checkpoint, kind, savepoint, trigger: message, sentAt: now }) };
  if (kind === "savepoint") step.effects.push({ kind: "report", report: { type: "SAVEPOINTS_IN_FLIGHT", count: savepointsInFlight(step.state) } });
  step.effects.push({ kind: "log", level: "debug", fields: { checkpointId, kind }, message: `triggering ${kind}` });
  step.effects.push({ kind: "trigger", message });
}

/**
 * Whether the checkpoint still waits for a reader of a source with a split enumerator. Its trigger
 * is not sent again then: the enumerators' state was taken as it first went out, and splits
 * assigned since may already have reached a reader that missed it, so a barrier injected now would
 * not match that state. Such a checkpoint waits for its timeout, as without sending again.
 */
function awaitsEnumeratedReader(setup: CoordinationSetup, flight: InFlight): boolean {
  const enumerated = new Set(setup.jobGraph.vertices.filter((v) => v.isSource && v.splitEnumerator === true).map((v) => v.id));
  if (enumerated.size === 0) return false;
  const outstanding = new Set(flight.checkpoint.outstanding);
  return setup.tasks.some((t) => enumerated.has(t.task.vertexId) && outstanding.has(t.key));
}

/** Sends a waiting checkpoint's trigger again, naming the subtasks it still waits for. */
function sendAgain(step: CoordinationStep, checkpointId: number, flight: InFlight, now: number): void {
  step.state = { ...step.state, inFlight: new Map(step.state.inFlight).set(checkpointId, { ...flight, sentAt: now }) };
  step.effects.push({ kind: "log", level: "debug", fields: { checkpointId, waitingFor: flight.checkpoint.outstanding }, message: `sending the ${flight.kind}'s trigger again` });
  step.effects.push({ kind: "trigger", message: flight.trigger, again: true });
}

/** Every subtask acknowledged: the metadata is built and written. */
function commit(setup: CoordinationSetup, step: CoordinationStep, checkpointId: number, flight: InFlight): void {
  const acks = [...flight.checkpoint.complete().values()];
  const unaligned = flight.kind === "checkpoint" && setup.config?.unaligned === true;
  const metadata = buildMetadata({ kind: flight.kind, jobId: setup.jobId, jobGraph: setup.jobGraph, checkpointId, timestamp: flight.checkpoint.triggeredAt, epoch: setup.epoch, acks, unaligned });
  step.effects.push({ kind: "commit", checkpointId, metadata, savepointDir: flight.savepoint?.dir });
}

/** Gives up a checkpoint: subtasks are told, its state is deleted, the planner counts the failure. */
function abort(setup: CoordinationSetup, step: CoordinationStep, checkpointId: number, reason: string, now: number): void {
  const flight = step.state.inFlight.get(checkpointId);
  if (!flight) return;
  const inFlight = new Map(step.state.inFlight);
  inFlight.delete(checkpointId);
  // The final checkpoint failed: the next one is triggered at once again.
  const finalCheckpoint = step.state.finalCheckpoint === checkpointId ? undefined : step.state.finalCheckpoint;
  step.state = { ...step.state, inFlight, finalCheckpoint };
  flight.checkpoint.abort(reason);
  step.effects.push({ kind: "log", level: "warn", fields: { checkpointId, kind: flight.kind, reason }, message: `${flight.kind} aborted` });
  step.effects.push({ kind: "notify", checkpointId, outcome: "aborted" });
  if (flight.kind === "savepoint") {
    reply(step, flight, { error: `savepoint ${checkpointId} failed: ${reason}` });
    step.effects.push({ kind: "report", report: { type: "SAVEPOINTS_IN_FLIGHT", count: savepointsInFlight(step.state) } });
    return;
  }
  step.effects.push({ kind: "discard", checkpointId });
  if (!setup.config) return;
  const decision = failed(plannerConfig(setup.config), step.state.planner, checkpointId, now, reason);
  step.state = { ...step.state, planner: decision.state };
  if (decision.failJob) step.effects.push({ kind: "report", report: { type: "CHECKPOINT_FAILURES_EXCEEDED", reason: decision.reason } });
}

function reply(step: CoordinationStep, flight: Pick<InFlight, "savepoint">, outcome: { location?: string; error?: string }): void {
  const to = flight.savepoint?.reply;
  if (to) step.effects.push({ kind: "reply", to, ...outcome });
}
