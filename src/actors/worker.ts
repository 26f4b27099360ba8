// The worker actor (Flink's TaskManager): registers with the resource manager, offers its slots,
// heartbeats, and deploys and cancels subtasks as their job masters ask.
// Receives deploy-task and cancel-task on its control subject and worker-ping (answered with
// worker-pong); sends register-worker, heartbeat, and unregister-worker when it stops. With every
// heartbeat it announces again the state of each subtask it runs, and of each that ended in the
// last ENDED_MEMORY_MS, so a lost task-state only delays its job master; a repeated deploy-task
// of a subtask it runs or ran lately is ignored, so a job master may re-send one it heard nothing of.
//
//   registering ─registered─▶ registered (heartbeat every interval) ─STOP─▶ stopping ─no tasks─▶ stopped
//        └─no answer─▶ waiting ─1 s─▶ registering

import { assign, fromCallback, fromPromise, setup, stopChild, type ActorRefFrom } from "xstate";
import { hostname } from "node:os";
import { subjects } from "../bus/subjects.ts";
import { busFor } from "../bus/trace.ts";
import { decode, encode } from "../messages/codec.ts";
import type { DeployTask, SubtaskId, TaskState } from "../messages/schema.ts";
import { listen, send, taskKey, type ActorDeps, describeError } from "./actor-deps.ts";
import { subtaskMachine, type JobLoader } from "./subtask.ts";

export interface WorkerInput {
  deps: ActorDeps;
  workerId: string;
  slots: number;
  loadJob: JobLoader;
  /** Fixed for replays; defaults to this process's. */
  host?: string;
  pid?: number;
}

/** How long an ended subtask is announced again, and a repeated deploy of it ignored (ms). */
export const ENDED_MEMORY_MS = 30_000;

interface EndedTask {
  task: SubtaskId;
  state: TaskState;
  error?: string;
  unrecoverable?: boolean;
  endedAt: number;
}

interface WorkerContext extends WorkerInput {
  heartbeatIntervalMs: number;
  tasks: Record<string, { ref: ActorRefFrom<typeof subtaskMachine>; slotIndex: number; task: SubtaskId }>;
  /** Subtasks that ended lately, by key. */
  ended: Record<string, EndedTask>;
}

export type WorkerEvent =
  | { type: "DEPLOY"; message: DeployTask }
  | { type: "CANCEL"; task: SubtaskId }
  | { type: "TASK_ENDED"; key: string }
  /** A child actor threw (a subtask, or the inbox): the error is contained here. */
  | { type: `xstate.error.actor.${string}`; actorId?: string; error: unknown }
  | { type: "STOP" };

const inbox = fromCallback<WorkerEvent, { deps: ActorDeps; workerId: string }>(({ input: { deps, workerId }, sendBack }) => {
  const subs = [
    listen(deps, `worker ${workerId}`, subjects.workerControl(workerId), ["deploy-task", "cancel-task"], (message) => {
      if (message.type === "deploy-task") sendBack({ type: "DEPLOY", message });
      else sendBack({ type: "CANCEL", task: message.task });
    }),
    // Answered here, at once: the resource manager learns the worker is connected.
    listen(deps, `worker ${workerId}`, subjects.workerPing(workerId), ["worker-ping"], (_ping, reply) => {
      if (reply) send(deps, reply, { type: "worker-pong", workerId });
    }),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
});

const register = fromPromise<number, WorkerContext>(async ({ input }) => {
  const { deps, workerId, slots } = input;
  const request = encode({ type: "register-worker", workerId, slots, host: input.host ?? hostname(), pid: input.pid ?? process.pid });
  const reply = decode(await deps.bus.request(subjects.registerWorker(), request, { timeoutMs: 2000 }), ["worker-registered"]);
  if (!reply.ok) throw new Error(`bad registration reply: ${reply.detail}`);
  return reply.message.heartbeatIntervalMs;
});

export const workerMachine = setup({
  types: { input: {} as WorkerInput, context: {} as WorkerContext, events: {} as WorkerEvent },
  actors: { inbox, register, subtask: subtaskMachine },
  delays: { heartbeatInterval: ({ context }) => context.heartbeatIntervalMs },
  actions: {
    heartbeat: ({ context }) =>
      send(context.deps, subjects.heartbeat(), {
        type: "heartbeat",
        workerId: context.workerId,
        slots: context.slots,
        usedSlots: new Set(Object.values(context.tasks).map((t) => t.slotIndex)).size,
        timestamp: context.deps.clock.now(),
      }),
    /** Each subtask's state once more (task-state is idempotent for its job master). */
    announceTasks: ({ context }) => {
      const { deps, workerId } = context;
      for (const { ref, task } of Object.values(context.tasks)) {
        const { value, context: subtask } = ref.getSnapshot();
        send(deps, subjects.taskState(task.jobId), { type: "task-state", task, workerId, state: value as TaskState, error: subtask.error, unrecoverable: subtask.unrecoverable });
      }
      for (const { task, state, error, unrecoverable } of Object.values(context.ended)) send(deps, subjects.taskState(task.jobId), { type: "task-state", task, workerId, state, error, unrecoverable });
    },
    pruneEnded: assign({
      ended: ({ context }) => {
        const since = context.deps.clock.now() - ENDED_MEMORY_MS;
        return Object.fromEntries(Object.entries(context.ended).filter(([, e]) => e.endedAt > since));
      },
    }),
    deploy: assign({
      tasks: ({ context, event, spawn, self }) => {
        if (event.type !== "DEPLOY") return context.tasks;
        const { task, slotIndex } = event.message;
        const key = taskKey(task);
        // Already running, or ended lately: its job master re-sent a deploy it did not hear about.
        if (context.tasks[key] || context.ended[key]) return context.tasks;
        if (slotIndex < 0 || slotIndex >= context.slots) {
          context.deps.log.error({ task, slotIndex }, "deploy names a slot this worker does not have");
          return context.tasks;
        }
        const log = context.deps.log.child({ jobId: task.jobId, vertex: task.vertexId, subtask: task.subtaskIndex, attempt: task.attempt });
        const ref = spawn("subtask", {
          id: key,
          input: { deps: { ...context.deps, bus: busFor(context.deps.bus, `subtask/${key}`), log }, workerId: context.workerId, deploy: event.message, loadJob: context.loadJob },
        });
        // Its errors reach this actor as xstate.error.actor events; an observer without `error` would rethrow them.
        ref.subscribe({ complete: () => self.send({ type: "TASK_ENDED", key }), error: () => undefined });
        return { ...context.tasks, [key]: { ref, slotIndex, task } };
      },
    }),
    cancel: ({ context, event }) => {
      if (event.type !== "CANCEL") return;
      context.tasks[taskKey(event.task)]?.ref.send({ type: "CANCEL" });
    },
    cancelAll: ({ context }) => {
      for (const { ref } of Object.values(context.tasks)) ref.send({ type: "CANCEL" });
    },
    forget: assign(({ context, event }) => {
      const key = endedKey(event);
      const entry = key === undefined ? undefined : context.tasks[key];
      if (key === undefined || entry === undefined) return {};
      const { [key]: _gone, ...tasks } = context.tasks;
      const { value, context: subtask } = entry.ref.getSnapshot();
      // A subtask actor that threw was reported failed (reportCrash).
      const crashed = event.type !== "TASK_ENDED";
      const state: TaskState = crashed ? "failed" : (value as TaskState);
      const error = crashed ? crashReason(event) : subtask.error;
      const unrecoverable = crashed ? undefined : subtask.unrecoverable;
      return { tasks, ended: { ...context.ended, [key]: { task: entry.task, state, error, unrecoverable, endedAt: context.deps.clock.now() } } };
    }),
    /** A subtask actor threw: its job master hears that it failed (and fails over); the worker goes on. */
    reportCrash: ({ context, event }) => {
      const key = endedKey(event);
      const entry = key === undefined ? undefined : context.tasks[key];
      const error = crashReason(event);
      // Not a subtask (the inbox): this worker cannot serve any more, so it fails as a whole.
      if (!entry) throw new Error(`the worker's ${key ?? "child"} actor failed: ${describeError("error" in event ? event.error : undefined)}`);
      context.deps.log.error({ actor: key, error }, "a subtask actor threw; reporting it failed");
      send(context.deps, subjects.taskState(entry.task.jobId), { type: "task-state", task: entry.task, workerId: context.workerId, state: "failed", error });
    },
  },
}).createMachine({
  id: "worker",
  context: ({ input }) => ({ ...input, heartbeatIntervalMs: 1000, tasks: {}, ended: {} }),
  invoke: { src: "inbox", input: ({ context }) => ({ deps: context.deps, workerId: context.workerId }) },
  on: {
    DEPLOY: { actions: "deploy" },
    CANCEL: { actions: "cancel" },
    TASK_ENDED: { actions: [stopChild(({ event }) => event.key), "forget"] },
    "xstate.error.actor.*": { actions: ["reportCrash", stopChild(({ event }) => endedKey(event) ?? ""), "forget"] },
    STOP: { target: ".stopping", actions: "cancelAll" },
  },
  initial: "registering",
  states: {
    registering: {
      invoke: {
        src: "register",
        input: ({ context }) => context,
        onDone: { target: "registered", actions: assign({ heartbeatIntervalMs: ({ event }) => event.output }) },
        onError: {
          target: "waiting",
          actions: ({ context, event }) => context.deps.log.warn({ err: event.error }, "registration failed; retrying in 1 s"),
        },
      },
    },
    waiting: { after: { 1000: "registering" } },
    registered: {
      entry: ["heartbeat", ({ context }) => context.deps.log.info({ slots: context.slots }, "worker registered")],
      initial: "beating",
      states: {
        beating: { after: { heartbeatInterval: { target: "beating", reenter: true, actions: ["heartbeat", "pruneEnded", "announceTasks"] } } },
      },
    },
    // Waits until every subtask has reported its end, so job masters learn of it at once.
    stopping: {
      always: { guard: ({ context }) => Object.keys(context.tasks).length === 0, target: "stopped" },
      on: { DEPLOY: {}, STOP: {} },
    },
    stopped: {
      type: "final",
      entry: ({ context }) => send(context.deps, subjects.unregisterWorker(), { type: "unregister-worker", workerId: context.workerId }),
    },
  },
});

/** The key of the subtask an event says has ended or crashed. */
function endedKey(event: WorkerEvent): string | undefined {
  if (event.type === "TASK_ENDED") return event.key;
  if (event.type.startsWith("xstate.error.actor.")) return event.type.slice("xstate.error.actor.".length);
  return undefined;
}

/** Why a subtask whose actor threw failed, as its job master hears it. */
function crashReason(event: WorkerEvent): string {
  return `the subtask's actor failed: ${describeError("error" in event ? event.error : undefined)}`;
}
