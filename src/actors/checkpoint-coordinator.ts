// The CheckpointCoordinator actor: one per running execution of a job, a child of its job master.
// Its decisions are pure steps (src/coordinator/checkpoint-coordination.ts): every event updates
// the coordination state with `assign` and enqueues the step's effects as named actions —
// publishTrigger, publishNotice, commit, discard, replySavepoint, report, log. The two states say
// whether a checkpoint or savepoint is in flight; a tick every 100 ms expires overdue ones and
// asks the planner whether the next periodic checkpoint is due. Once every source subtask has
// reported the end of its input, the final checkpoint is triggered at once. The split enumerators' state is
// taken just before a trigger is published (so no reader sees the barrier first) and written with
// the checkpoint's metadata.
//
//   idle ──TICK (due) / SAVEPOINT──▶ inFlight ──COMMITTED / aborted (none left)──▶ idle

import { fromCallback, not, sendParent, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import type { CheckpointMetadata, EnumeratorState } from "../checkpoint/checkpoint-metadata.ts";
import type { CheckpointStorage } from "../checkpoint/checkpoint-storage.ts";
import { savepointStorage } from "../checkpoint/savepoint-storage.ts";
import type { KeptCheckpoint } from "../checkpoint/retention.ts";
import { initialPlannerState } from "../coordinator/checkpoint-planner.ts";
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
} from "../coordinator/checkpoint-coordination.ts";
import type { CheckpointAck, CheckpointDecline, CheckpointingConfig, JobGraphSpec, SubtaskId } from "../messages/schema.ts";
import { listen, send, taskKey, type ActorDeps } from "./actor-deps.ts";

export type { CoordinatorReport } from "../coordinator/checkpoint-coordination.ts";

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
  /** Takes the split enumerators' state for a checkpoint, synchronously (absent: the job has none). */
  snapshotEnumerators?: (checkpointId: number) => EnumeratorState[];
}

export interface CoordinatorContext {
  deps: ActorDeps;
  storage: CheckpointStorage;
  setup: CoordinationSetup;
  coordination: CoordinationState;
  snapshotEnumerators?: (checkpointId: number) => EnumeratorState[];
  /** The enumerators' state of each checkpoint in flight, until its metadata is written. */
  enumeratorStates: Map<number, EnumeratorState[]>;
}

export type CheckpointCoordinatorEvent =
  | { type: "TICK" }
  | { type: "ACK"; message: CheckpointAck }
  | { type: "DECLINE"; message: CheckpointDecline }
  | { type: "TASK_FINISHED"; task: SubtaskId }
  | { type: "END_OF_DATA"; task: SubtaskId }
  | { type: "SAVEPOINT"; dir: string; stop?: "drain" | "terminate"; reply?: string }
  | { type: "COMMITTED"; checkpointId: number; location: string; metadata: CheckpointMetadata }
  | { type: "COMMIT_FAILED"; checkpointId: number; reason: string };

const inbox = fromCallback<CheckpointCoordinatorEvent, { deps: ActorDeps; jobId: string }>(({ input: { deps, jobId }, sendBack }) => {
  const endpoint = `checkpoint-coordinator ${jobId}`;
  const subs = [
    listen(deps, endpoint, subjects.checkpointAcks(jobId), ["checkpoint-ack", "checkpoint-decline", "end-of-data"], (m) =>
      sendBack(m.type === "checkpoint-ack" ? { type: "ACK", message: m } : m.type === "checkpoint-decline" ? { type: "DECLINE", message: m } : { type: "END_OF_DATA", task: m.task }),
    ),
    listen(deps, endpoint, subjects.savepoint(jobId), ["trigger-savepoint"], (m, reply) => sendBack({ type: "SAVEPOINT", dir: m.dir, stop: m.stop, reply })),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
});

/** The pure step an event maps to (the timer's tick is TICK). */
function stepFor(context: CoordinatorContext, event: CheckpointCoordinatorEvent): CoordinationStep {
  const { setup, coordination: state } = context;
  const now = context.deps.clock.now();
  switch (event.type) {
    case "TICK":
      return onTick(setup, state, now);
    case "SAVEPOINT":
      return onSavepoint(setup, state, { dir: event.dir, reply: event.reply, stop: event.stop }, now);
    case "ACK": {
      const { task, checkpointId, handle, operatorUids, references, operatorState, unionState } = event.message;
      return onAcknowledge(setup, state, taskKey(task), { task, finished: false, handle, operatorUids, references, operatorState, unionState }, checkpointId);
    }
    case "TASK_FINISHED":
      return onAcknowledge(setup, state, taskKey(event.task), { task: event.task, finished: true });
    case "END_OF_DATA":
      return onEndOfData(setup, state, taskKey(event.task), now);
    case "DECLINE":
      return onDecline(setup, state, event.message, now);
    case "COMMITTED":
      return onCommitted(setup, state, event, now);
    case "COMMIT_FAILED":
      return onCommitFailed(setup, state, event.checkpointId, event.reason, now);
  }
}

type EffectOf<K extends CoordinationEffect["kind"]> = Extract<CoordinationEffect, { kind: K }>;

/** The machine's types, guards and effects: one named action per effect kind. */
const effects = setup({
  types: { input: {} as CheckpointCoordinatorInput, context: {} as CoordinatorContext, events: {} as CheckpointCoordinatorEvent },
  actors: { inbox },
  guards: {
    inFlight: ({ context }) => context.coordination.inFlight.size > 0,
  },
  actions: {
    publishTrigger: ({ context }, effect: EffectOf<"trigger">) => {
      // First the enumerators' state: what they assign from now on reaches readers after the trigger.
      // A trigger sent again keeps the state taken the first time.
      const states = effect.again ? undefined : context.snapshotEnumerators?.(effect.message.checkpointId);
      if (states !== undefined && states.length > 0) context.enumeratorStates.set(effect.message.checkpointId, states);
      send(context.deps, subjects.checkpointControl(context.setup.jobId), effect.message);
    },
    publishNotice: ({ context }, { checkpointId, outcome }: EffectOf<"notify">) => {
      const { jobId } = context.setup;
      send(context.deps, subjects.checkpointControl(jobId), { type: "checkpoint-notify", jobId, checkpointId, outcome });
    },
    /** Writes the metadata; COMMITTED or COMMIT_FAILED comes back (unless the coordinator has stopped by then). */
    commit: ({ context, self }, { checkpointId, metadata: acknowledged, savepointDir }: EffectOf<"commit">) => {
      const enumerators = context.enumeratorStates.get(checkpointId);
      context.enumeratorStates.delete(checkpointId);
      const metadata = enumerators ? { ...acknowledged, enumerators } : acknowledged;
      const write = savepointDir ? savepointStorage(savepointDir).commit(metadata) : context.storage.commit(metadata);
      const tell = (event: CheckpointCoordinatorEvent) => {
        if (self.getSnapshot().status === "active") self.send(event);
      };
      write.then(
        (location) => tell({ type: "COMMITTED", checkpointId, location, metadata }),
        (error: Error) => tell({ type: "COMMIT_FAILED", checkpointId, reason: error.message }),
      );
    },
    discard: ({ context }, { checkpointId }: EffectOf<"discard">) => {
      context.enumeratorStates.delete(checkpointId);
      void context.storage.discard(context.setup.jobId, checkpointId).catch((error: Error) => context.deps.log.warn({ err: error, checkpointId }, "discarding a checkpoint failed"));
    },
    replySavepoint: ({ context }, { to, location, error }: EffectOf<"reply">) => send(context.deps, to, { type: "savepoint-reply", jobId: context.setup.jobId, location, error }),
    report: sendParent((_, { report }: EffectOf<"report">) => report),
    log: ({ context }, { level, fields, message }: EffectOf<"log">) => context.deps.log[level](fields, message),
  },
});

/** Applies a pure step: the next coordination state, then its effects, in order, as named actions. */
const applyStep = (stepOf: (context: CoordinatorContext, event: CheckpointCoordinatorEvent) => CoordinationStep) =>
  effects.enqueueActions(({ context, event, enqueue }) => {
    const step = stepOf(context, event);
    enqueue.assign({ coordination: step.state });
    for (const effect of step.effects) {
      switch (effect.kind) {
        case "trigger":
          enqueue({ type: "publishTrigger", params: effect });
          break;
        case "notify":
          enqueue({ type: "publishNotice", params: effect });
          break;
        case "commit":
          enqueue({ type: "commit", params: effect });
          break;
        case "discard":
          enqueue({ type: "discard", params: effect });
          break;
        case "reply":
          enqueue({ type: "replySavepoint", params: effect });
          break;
        case "report":
          enqueue({ type: "report", params: effect });
          break;
        case "log":
          enqueue({ type: "log", params: effect });
          break;
      }
    }
  });

export const checkpointCoordinatorMachine = effects.extend({
  actions: {
    step: applyStep(stepFor),
    tick: applyStep((context) => stepFor(context, { type: "TICK" })),
  },
}).createMachine({
  id: "checkpoint-coordinator",
  context: ({ input }) => {
    const tasks = input.tasks.map((t) => ({ key: taskKey(t.task), task: t.task }));
    const setup: CoordinationSetup = { jobId: input.jobId, jobGraph: input.jobGraph, config: input.config, epoch: input.epoch, tasks };
    const planner = { ...initialPlannerState, nextId: input.firstCheckpointId, lastTriggeredAt: input.deps.clock.now() };
    const finished = input.tasks.filter((t) => t.finished).map((t) => taskKey(t.task));
    const coordination = initialCoordination({ planner, finished, kept: input.kept });
    return { deps: input.deps, storage: input.storage, setup, coordination, snapshotEnumerators: input.snapshotEnumerators, enumeratorStates: new Map() };
  },
  invoke: { src: "inbox", input: ({ context }) => ({ deps: context.deps, jobId: context.setup.jobId }) },
  on: {
    ACK: { actions: "step" },
    TASK_FINISHED: { actions: "step" },
    END_OF_DATA: { actions: "step" },
    DECLINE: { actions: "step" },
    SAVEPOINT: { actions: "step" },
    COMMITTED: { actions: "step" },
    COMMIT_FAILED: { actions: "step" },
  },
  initial: "idle",
  states: {
    /** Nothing in flight: the tick asks whether a periodic checkpoint is due. */
    idle: {
      always: { guard: "inFlight", target: "inFlight" },
      after: { [TICK_MS]: { target: "idle", reenter: true, actions: "tick" } },
    },
    /** Checkpoints or savepoints wait for acknowledgements or their commit; the tick expires overdue ones. */
    inFlight: {
      always: { guard: not("inFlight"), target: "idle" },
      after: { [TICK_MS]: { target: "inFlight", reenter: true, actions: "tick" } },
    },
  },
});
