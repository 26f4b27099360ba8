// The job master actor: one per job. Gets slots from the resource manager, deploys every
// subtask, follows their states and ends the job. A failed task fails the job (restart
// strategies come with checkpointing). Receives task-state, cancel-job and worker-lost;
// sends request-slots, deploy-task, cancel-task, release-slots and job-status.
//
//   scheduling ─slots─▶ deploying ─all running─▶ running ─all finished─▶ finished
//        │                  │ task failed / worker lost │
//        └──────────────────┴──────────▶ failing ──all ended──▶ failed
//   deploying/running ─cancel─▶ canceling ─all ended─▶ canceled; scheduling ─cancel─▶ canceled

import { assign, fromCallback, fromPromise, setup } from "xstate";
import { NoRespondersError } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { decode, encode } from "../messages/codec.ts";
import type { JobStatus, SlotGrant, SubmitJob, SubtaskId, TaskState } from "../messages/schema.ts";
import { requiredSlots } from "../graph/job-graph.ts";
import { planDeployments } from "../coordinator/execution-plan.ts";
import { allInState, allTerminal, anyInState, applyTaskReport, createTracker, failTasksOn, nonTerminal, type TaskTracker } from "../coordinator/task-tracker.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";

export interface JobMasterInput {
  deps: ActorDeps;
  submission: SubmitJob;
  /** How long to wait for enough slots before failing the job. */
  slotRequestTimeoutMs?: number;
}

interface JobMasterContext {
  deps: ActorDeps;
  submission: SubmitJob;
  slotRequestTimeoutMs: number;
  tracker: TaskTracker;
  error?: string;
}

export type JobMasterEvent =
  | { type: "TASK_STATE"; task: SubtaskId; state: TaskState; error?: string }
  | { type: "CANCEL" }
  | { type: "WORKER_LOST"; workerId: string; reason: "heartbeat-timeout" | "unregistered" };

const inbox = fromCallback<JobMasterEvent, { deps: ActorDeps; jobId: string }>(({ input: { deps, jobId }, sendBack }) => {
  const endpoint = `job-master ${jobId}`;
  const subs = [
    listen(deps, endpoint, subjects.taskState(jobId), ["task-state"], (m) => sendBack({ type: "TASK_STATE", task: m.task, state: m.state, error: m.error })),
    listen(deps, endpoint, subjects.cancelJob(jobId), ["cancel-job"], () => sendBack({ type: "CANCEL" })),
    listen(deps, endpoint, subjects.workerLost(), ["worker-lost"], (m) => {
      if (m.jobIds.includes(jobId)) sendBack({ type: "WORKER_LOST", workerId: m.workerId, reason: m.reason });
    }),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
});

/** Asks the resource manager for slots, retrying while there are too few, until the timeout. */
const requestSlots = fromPromise<SlotGrant[], { deps: ActorDeps; jobId: string; count: number; timeoutMs: number }>(async ({ input, signal }) => {
  const { deps, jobId, count, timeoutMs } = input;
  const deadline = deps.clock.now() + timeoutMs;
  let lastError = "the resource manager did not answer";
  while (!signal.aborted) {
    try {
      const reply = await deps.bus.request(subjects.requestSlots(), encode({ type: "request-slots", jobId, count }), { timeoutMs: 2000 });
      const outcome = decode(reply, ["slots-reply"]);
      if (!outcome.ok) throw new Error(`bad slots reply: ${outcome.detail}`);
      if (!outcome.message.error) return outcome.message.slots;
      lastError = outcome.message.error;
    } catch (error) {
      lastError = error instanceof NoRespondersError ? "no resource manager is running" : (error as Error).message;
    }
    if (deps.clock.now() >= deadline) break;
    await new Promise<void>((resolve) => deps.clock.setTimeout(() => resolve(), 250));
  }
  throw new Error(`could not get ${count} slots within ${timeoutMs} ms: ${lastError}`);
});

export const jobMasterMachine = setup({
  types: { input: {} as JobMasterInput, context: {} as JobMasterContext, events: {} as JobMasterEvent },
  actors: { inbox, requestSlots },
  actions: {
    publishStatus: ({ context }, status: JobStatus) => {
      const { deps, submission, error } = context;
      deps.log.info({ status, error }, `job ${status}`);
      send(deps, subjects.jobStatus(submission.jobId), { type: "job-status", jobId: submission.jobId, status, error, timestamp: deps.clock.now() });
    },
    deployAll: ({ context }) => {
      const { deps, submission } = context;
      for (const { deployment } of Object.values(context.tracker)) {
        send(deps, subjects.workerControl(deployment.workerId), {
          type: "deploy-task",
          task: deployment.task,
          slotIndex: deployment.slotIndex,
          artifact: submission.artifact,
          jobGraph: submission.jobGraph,
        });
      }
    },
    cancelLiveTasks: ({ context }) => {
      for (const deployment of nonTerminal(context.tracker)) {
        send(context.deps, subjects.workerControl(deployment.workerId), { type: "cancel-task", task: deployment.task });
      }
    },
    releaseSlots: ({ context }) => send(context.deps, subjects.releaseSlots(), { type: "release-slots", jobId: context.submission.jobId }),
    /** `expectCancel`: the job master asked for cancellation, so a canceled task is no error. */
    applyReport: assign(({ context, event }, params: { expectCancel: boolean }) => {
      if (event.type !== "TASK_STATE") return {};
      const { tracker, outcome } = applyTaskReport(context.tracker, event.task, event.state);
      if (outcome !== "updated") context.deps.log.debug({ task: event.task, state: event.state, outcome }, "task report not applied");
      const name = `task ${event.task.vertexId}[${event.task.subtaskIndex}]`;
      let error = context.error;
      if (!error && event.state === "failed") error = `${name} failed: ${event.error ?? "unknown error"}`;
      if (!error && event.state === "canceled" && outcome === "updated" && !params.expectCancel) error = `${name} was canceled by its worker (was the worker stopped?)`;
      return { tracker, error };
    }),
    applyWorkerLost: assign(({ context, event }) => {
      if (event.type !== "WORKER_LOST") return {};
      // The worker may only be cut off from the resource manager: tell its subtasks to stop.
      for (const deployment of nonTerminal(context.tracker)) {
        if (deployment.workerId === event.workerId) send(context.deps, subjects.workerControl(deployment.workerId), { type: "cancel-task", task: deployment.task });
      }
      const why = event.reason === "unregistered" ? "left the cluster" : "was lost (no heartbeat)";
      const hit = nonTerminal(context.tracker).some((d) => d.workerId === event.workerId);
      return { tracker: failTasksOn(context.tracker, event.workerId), error: context.error ?? (hit ? `worker ${event.workerId} ${why}` : undefined) };
    }),
  },
  guards: {
    // A task canceled without the job master asking (its worker stopped) fails the job as well.
    anyFailed: ({ context }) => anyInState(context.tracker, "failed") || anyInState(context.tracker, "canceled"),
    allRunning: ({ context }) => allInState(context.tracker, ["running", "finished"]),
    allFinished: ({ context }) => allInState(context.tracker, ["finished"]),
    allEnded: ({ context }) => allTerminal(context.tracker),
  },
}).createMachine({
  id: "job-master",
  context: ({ input }) => ({
    deps: input.deps,
    submission: input.submission,
    slotRequestTimeoutMs: input.slotRequestTimeoutMs ?? 30_000,
    tracker: {},
  }),
  invoke: { src: "inbox", input: ({ context }) => ({ deps: context.deps, jobId: context.submission.jobId }) },
  initial: "scheduling",
  states: {
    scheduling: {
      entry: { type: "publishStatus", params: "scheduling" },
      invoke: {
        src: "requestSlots",
        input: ({ context }) => ({
          deps: context.deps,
          jobId: context.submission.jobId,
          count: requiredSlots(context.submission.jobGraph),
          timeoutMs: context.slotRequestTimeoutMs,
        }),
        onDone: {
          target: "deploying",
          actions: assign({
            tracker: ({ context, event }) => createTracker(planDeployments(context.submission.jobId, context.submission.jobGraph, event.output)),
          }),
        },
        onError: { target: "failed", actions: assign({ error: ({ event }) => (event.error as Error).message }) },
      },
      on: { CANCEL: "canceled" },
    },
    deploying: {
      entry: [{ type: "publishStatus", params: "deploying" }, "deployAll"],
      always: [
        { guard: "anyFailed", target: "failing" },
        { guard: "allFinished", target: "finished" },
        { guard: "allRunning", target: "running" },
      ],
      on: { TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: false } } }, WORKER_LOST: { actions: "applyWorkerLost" }, CANCEL: "canceling" },
    },
    running: {
      entry: { type: "publishStatus", params: "running" },
      always: [
        { guard: "anyFailed", target: "failing" },
        { guard: "allFinished", target: "finished" },
      ],
      on: { TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: false } } }, WORKER_LOST: { actions: "applyWorkerLost" }, CANCEL: "canceling" },
    },
    failing: {
      entry: [{ type: "publishStatus", params: "failing" }, "cancelLiveTasks"],
      always: { guard: "allEnded", target: "failed" },
      on: { TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: true } } }, WORKER_LOST: { actions: "applyWorkerLost" } },
    },
    canceling: {
      entry: [{ type: "publishStatus", params: "canceling" }, "cancelLiveTasks"],
      always: { guard: "allEnded", target: "canceled" },
      on: { TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: true } } }, WORKER_LOST: { actions: "applyWorkerLost" } },
    },
    finished: { type: "final", entry: ["releaseSlots", { type: "publishStatus", params: "finished" }] },
    failed: { type: "final", entry: ["releaseSlots", { type: "publishStatus", params: "failed" }] },
    canceled: { type: "final", entry: ["releaseSlots", { type: "publishStatus", params: "canceled" }] },
  },
  output: ({ context }) => ({ jobId: context.submission.jobId, error: context.error }),
});
