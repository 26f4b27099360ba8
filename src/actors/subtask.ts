// The subtask actor: the lifecycle of one execution of one subtask on a worker.
// created → deploying → initializing → running → finished, or → canceling → canceled, or → failed.
// Receives CANCEL from its worker; sends task-state messages to its job master on every change;
// its worker learns that it ended when the actor completes.
// The data plane (StreamTask) runs beside it: no record or frame passes through this machine.

import { assign, fromPromise, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import type { DeployTask, SubtaskId, TaskState } from "../messages/schema.ts";
import { Rejections } from "../messages/rejections.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import { StreamTask, TaskCanceledError } from "../runtime/stream-task.ts";
import { isUnrecoverable } from "../core/errors.ts";
import { send, taskKey, type ActorDeps } from "./actor-deps.ts";
import { openCheckpointIo, type CheckpointIo } from "../runtime/checkpoint-io.ts";

/** Resolves a job's code into its stream graph, checking it matches the submitted job graph. */
/** Builds a job's StreamGraph (its user functions) from what its deployment says. */
export type JobLoader = (job: { task: Pick<SubtaskId, "jobId">; artifact: DeployTask["artifact"]; jobGraph: DeployTask["jobGraph"] }) => Promise<StreamGraph>;

export interface SubtaskInput {
  deps: ActorDeps;
  workerId: string;
  deploy: DeployTask;
  loadJob: JobLoader;
}

export interface SubtaskContext extends SubtaskInput {
  streamGraph?: StreamGraph;
  checkpointIo?: CheckpointIo;
  task?: StreamTask;
  /** Why the task could not be created (a deploy naming a vertex its graph lacks, …): initializing fails with it. */
  setupError?: unknown;
  error?: string;
  /** The failure was an UnrecoverableError: no restart can cure it. */
  unrecoverable?: boolean;
}

export type SubtaskEvent = { type: "CANCEL" };

export const subtaskMachine = setup({
  types: {
    input: {} as SubtaskInput,
    context: {} as SubtaskContext,
    events: {} as SubtaskEvent,
  },
  actors: {
    loadJob: fromPromise<{ streamGraph: StreamGraph; checkpointIo?: CheckpointIo }, SubtaskInput>(async ({ input }) => {
      const streamGraph = await input.loadJob(input.deploy);
      const { config } = input.deploy.jobGraph;
      const checkpointIo = await openCheckpointIo(config.checkpointing, input.deps.nats);
      return { streamGraph, checkpointIo };
    }),
    initializeTask: fromPromise<void, Pick<SubtaskContext, "task" | "setupError">>(({ input }) => (input.task ? input.task.initialize() : Promise.reject(input.setupError))),
    runTask: fromPromise<void, StreamTask>(({ input }) => input.run()),
    cancelTask: fromPromise<void, StreamTask | undefined>(async ({ input }) => input?.cancel()),
  },
  actions: {
    report: ({ context }, state: TaskState) => {
      const { deps, deploy, workerId, error, unrecoverable } = context;
      send(deps, subjects.taskState(deploy.task.jobId), { type: "task-state", task: deploy.task, workerId, state, error, unrecoverable });
      // At info even when it failed: the job's status carries the error to whoever waits for the
      // job, so a failure is reported once where people look (`weir run` logs at warn).
      deps.log.info(error ? { state, error } : { state }, `subtask ${state}`);
    },
    // Constructing the task runs on what the deploy message says; whatever it throws fails this
    // subtask (reported to its job master) instead of escaping the actor and its worker.
    createTask: assign(({ context }) => {
      try {
        return {
          task: new StreamTask({
            ...context.deps,
            rejections: new Rejections(context.deps.metrics, context.deps.log, `subtask ${taskKey(context.deploy.task)}`),
            task: context.deploy.task,
            jobGraph: context.deploy.jobGraph,
            streamGraph: context.streamGraph!,
            restore: context.deploy.restore,
            binding: { channelToken: context.deploy.channelToken, collectKey: context.deploy.collectKey },
            checkpointIo: context.checkpointIo,
          }),
        };
      } catch (error) {
        return { setupError: error };
      }
    }),
    recordError: assign((_, params: { error: unknown }) => ({ error: describe(params.error), unrecoverable: isUnrecoverable(params.error) || undefined })),
  },
}).createMachine({
  id: "subtask",
  context: ({ input }) => ({ ...input }),
  initial: "deploying",
  states: {
    deploying: {
      entry: { type: "report", params: "deploying" },
      invoke: {
        src: "loadJob",
        input: ({ context }) => context,
        onDone: { target: "initializing", actions: assign({ streamGraph: ({ event }) => event.output.streamGraph, checkpointIo: ({ event }) => event.output.checkpointIo }) },
        onError: { target: "failed", actions: { type: "recordError", params: ({ event }) => ({ error: event.error }) } },
      },
      on: { CANCEL: "canceled" },
    },
    initializing: {
      entry: [{ type: "report", params: "initializing" }, "createTask"],
      invoke: {
        src: "initializeTask",
        input: ({ context }) => context,
        onDone: "running",
        onError: { target: "failed", actions: { type: "recordError", params: ({ event }) => ({ error: event.error }) } },
      },
      on: { CANCEL: "canceling" },
    },
    running: {
      entry: { type: "report", params: "running" },
      invoke: {
        src: "runTask",
        input: ({ context }) => context.task!,
        onDone: "finished",
        onError: [
          { guard: ({ event }) => event.error instanceof TaskCanceledError, target: "canceled" },
          { target: "failed", actions: { type: "recordError", params: ({ event }) => ({ error: event.error }) } },
        ],
      },
      on: { CANCEL: "canceling" },
    },
    canceling: {
      entry: { type: "report", params: "canceling" },
      invoke: { src: "cancelTask", input: ({ context }) => context.task, onDone: "canceled", onError: "canceled" },
    },
    finished: { type: "final", entry: { type: "report", params: "finished" } },
    canceled: { type: "final", entry: { type: "report", params: "canceled" } },
    failed: { type: "final", entry: { type: "report", params: "failed" } },
  },
});

function describe(error: unknown): string {
  // Its message says all there is to say: no stack.
  if (isUnrecoverable(error)) return `${(error as Error).name}: ${(error as Error).message}`;
  if (error instanceof Error) return error.stack?.split("\n").slice(0, 4).join("\n") ?? error.message;
  return String(error);
}
