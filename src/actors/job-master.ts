// The job master actor: one per job. Opens the job's checkpoint storage (and the savepoint it
// starts from), gets slots from the resource manager, deploys every subtask (each with its share
// of the latest checkpoint, if any), runs a CheckpointCoordinator while the job runs, and on a
// failure cancels, waits, and redeploys from the latest completed checkpoint as the restart
// strategy allows. Receives task-state, cancel-job (answered with cancel-job-reply) and worker-lost; sends
// request-slots, deploy-task, cancel-task, release-slots and job-status.
// Beside it, one split enumerator per source vertex that has one (job-master-enumerators.ts), from
// deployment to the end of the execution; a failed region's readers give their splits back to it.
// Every RECONCILE_INTERVAL_MS it re-sends what may have been lost: deploy-task to subtasks it has
// heard nothing from, cancel-task to subtasks it is ending that have not ended (both idempotent on
// the worker); workers announce their subtasks' states again with every heartbeat.
//
//   initializing ─▶ scheduling ─slots─▶ deploying ─all running─▶ running ─all finished─▶ finished
//                      ▲                    │ task failed / worker lost │
//                      │                    └──────────▶ failing ◀──────┘
//                      └──after delay── restarting ◀─restart allowed─┘ └─not allowed─▶ failed
//   deploying/running ─cancel─▶ canceling ─all ended─▶ canceled; scheduling ─cancel─▶ canceled
//   taken over (a new leader): initializing ─▶ reclaiming (old subtasks canceled) ─all ended─▶ scheduling
//   running ─rescale (stop-with-savepoint, or reactive growth)─▶ rescaling ─all ended─▶ scheduling (new graph, new attempt)
// Rescaling (job-master-rescale.ts): `weir rescale` sends rescale-job (answered once the job runs
// again); in reactive mode scheduling takes the slots there are and workers joining make it grow.
// With leader election it keeps the job's record (job-record.ts) current: its attempt at every
// scheduling, its latest checkpoint at every completion; it deletes the record when the job ends.

import { assign } from "xstate";
import { requiredSlots } from "../graph/job-graph.ts";
import { planDeployments } from "../coordinator/execution-plan.ts";
import { allTerminal, createTracker } from "../coordinator/task-tracker.ts";
import { allTerminalIn } from "../coordinator/failover-regions.ts";
import { takeoverAttempt } from "../coordinator/job-record.ts";
import { RECLAIM_LIMIT_MS, RECLAIM_QUIET_MS, leftoversEnded, leftoversLost } from "./job-master-takeover.ts";
import { enumeratedVertices, takeEnumeratorStates } from "./job-master-enumerators.ts";
import { RECONCILE_INTERVAL_MS, jobMasterSetup, onTaskEvents } from "./job-master-setup.ts";
import { reactiveIdle } from "../coordinator/rescale-plan.ts";

export type { JobMasterInput } from "./job-master-context.ts";

export const jobMasterMachine = jobMasterSetup.createMachine({
  id: "job-master",
  context: ({ input }) => ({
    deps: input.deps,
    submission: input.submission,
    slotRequestTimeoutMs: input.slotRequestTimeoutMs ?? 30_000,
    tracker: {},
    attempt: 0,
    failureTimes: [],
    nextCheckpointId: 1,
    kept: [],
    savepointsInFlight: 0,
    recovering: [],
    jobStore: input.jobStore,
    takeover: input.takeover,
    latestCheckpoint: input.takeover?.checkpoint,
    figures: input.takeover?.figures ?? { startTime: input.deps.clock.now(), restarts: 0, exceptions: [] },
    leftovers: {},
    reclaimWindowOver: false,
    loadJob: input.loadJob,
    sources: {},
    reactive: input.reactive ?? false,
    reactiveState: reactiveIdle,
  }),
  invoke: [
    { src: "inbox", input: ({ context }) => ({ deps: context.deps, jobId: context.submission.jobId, reactive: context.reactive }) },
    { src: "reconcileTicks", input: ({ context }) => ({ clock: context.deps.clock, intervalMs: RECONCILE_INTERVAL_MS }) },
  ],
  // A rescale is asked for while the job runs (see `running`); otherwise it is refused.
  on: {
    RESCALE_REQUEST: { actions: "refuseRescale" },
    RESCALE_REFUSED: { actions: "rescaleRefused" },
    RESCALE_FAILED: { actions: "rescaleFailed" },
  },
  initial: "initializing",
  states: {
    initializing: {
      invoke: {
        src: "prepare",
        input: ({ context }) => ({ deps: context.deps, submission: context.submission, takeover: context.takeover, loadJob: context.loadJob }),
        onDone: [
          {
            guard: ({ context }) => context.takeover !== undefined,
            target: "reclaiming",
            actions: assign(({ context, event }) => ({
              storage: event.output.storage,
              restoreFrom: event.output.restoreFrom,
              sources: event.output.sources,
              latestCheckpoint: event.output.latestCheckpoint ?? context.latestCheckpoint,
              nextCheckpointId: (event.output.restoreFrom?.checkpointId ?? 0) + 1,
              attempt: takeoverAttempt(context.takeover!),
            })),
          },
          { target: "scheduling", actions: assign({ storage: ({ event }) => event.output.storage, restoreFrom: ({ event }) => event.output.restoreFrom, sources: ({ event }) => event.output.sources }) },
        ],
        onError: { target: "failed", actions: assign({ error: ({ event }) => (event.error as Error).message }) },
      },
      on: { CANCEL: "canceled" },
    },
    // Taken over: the old execution's subtasks, as their workers announce them, are told to stop;
    // once they have ended (or after RECLAIM_LIMIT_MS) the job is deployed again from its checkpoint.
    reclaiming: {
      entry: ["announceTakeover", "countRestart"],
      after: {
        [RECLAIM_QUIET_MS]: { actions: assign({ reclaimWindowOver: true }) },
        [RECLAIM_LIMIT_MS]: [
          { guard: ({ context }) => context.canceledWhileReclaiming === true, target: "canceled", actions: ({ context }) => context.deps.log.warn({ leftovers: Object.keys(context.leftovers) }, "subtasks of the old execution did not end; canceled anyway") },
          { target: "scheduling", actions: ({ context }) => context.deps.log.warn({ leftovers: Object.keys(context.leftovers) }, "subtasks of the old execution did not end; deploying anyway") },
        ],
      },
      // Canceled meanwhile, it still listens the whole window, so every old subtask a worker announces is told to stop.
      always: [
        { guard: ({ context }) => context.reclaimWindowOver && leftoversEnded(context.leftovers) && context.canceledWhileReclaiming === true, target: "canceled" },
        { guard: ({ context }) => context.reclaimWindowOver && leftoversEnded(context.leftovers), target: "scheduling" },
      ],
      on: {
        TASK_STATE: { actions: "noteLeftover" },
        RECONCILE: { actions: "cancelLeftovers" },
        WORKER_LOST: { actions: assign({ leftovers: ({ context, event }) => (event.type === "WORKER_LOST" ? leftoversLost(context.leftovers, event.workerId) : context.leftovers) }) },
        CANCEL: { actions: ["cancelLeftovers", assign({ canceledWhileReclaiming: true }), { type: "publishStatus", params: "canceling" }] },
      },
    },
    scheduling: {
      entry: [{ type: "publishStatus", params: "scheduling" }, "recordJob"],
      on: { CANCEL: "canceled" },
      initial: "choosing",
      states: {
        choosing: { always: [{ guard: ({ context }) => context.reactive, target: "reactive" }, { target: "fixed" }] },
        // The job's parallelism as it is: its slots, or failure after the slot request timeout.
        fixed: {
          invoke: {
            src: "requestSlots",
            input: ({ context }) => ({
              deps: context.deps,
              jobId: context.submission.jobId,
              count: requiredSlots(context.submission.jobGraph),
              timeoutMs: context.slotRequestTimeoutMs,
            }),
            onDone: {
              target: "#job-master.deploying",
              actions: assign({
                tracker: ({ context, event }) => createTracker(planDeployments(context.submission.jobId, context.submission.jobGraph, event.output, context.attempt)),
              }),
            },
            onError: { target: "#job-master.failed", actions: assign({ error: ({ event }) => (event.error as Error).message }) },
          },
        },
        // Reactive mode: the parallelism the slots there are allow.
        reactive: {
          invoke: {
            src: "reactiveSlots",
            input: ({ context }) => ({ deps: context.deps, submission: context.submission, timeoutMs: context.slotRequestTimeoutMs, loadJob: context.loadJob }),
            onDone: {
              target: "#job-master.deploying",
              actions: [
                "reactiveScheduled",
                assign({ tracker: ({ context, event }) => createTracker(planDeployments(context.submission.jobId, context.submission.jobGraph, event.output.slots, context.attempt)) }),
                "recordJob",
              ],
            },
            onError: { target: "#job-master.failed", actions: assign({ error: ({ event }) => (event.error as Error).message }) },
          },
        },
      },
    },
    deploying: {
      entry: [{ type: "publishStatus", params: "deploying" }, "startEnumerators", "deployCreated"],
      always: [
        { guard: "anyFailed", target: "failing" },
        { guard: "allFinished", target: "finished" },
        { guard: "allRunning", target: "running" },
      ],
      on: {
        ...onTaskEvents,
        TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: false } } },
        RESTORE_FAILED: { target: "failing", actions: "restoreFailed" },
        RECONCILE: { actions: [{ type: "deployCreated", params: { again: true } }, "checkDeployAcks"] },
      },
    },
    running: {
      entry: [{ type: "publishStatus", params: "running" }, "completeRescale"],
      always: [
        { guard: "anyFailed", target: "failing" },
        { guard: "allFinished", target: "finished" },
      ],
      on: {
        ...onTaskEvents,
        TASK_STATE: { actions: [{ type: "applyReport", params: { expectCancel: false } }, "noteRegionalFailure"] },
        CHECKPOINT_TRIGGERED: { actions: "onCoordinatorReport" },
        CHECKPOINT_COMPLETED: { actions: ["onCoordinatorReport", "recordJob", "tellEnumeratorsCompleted"] },
        SAVEPOINTS_IN_FLIGHT: { actions: "onCoordinatorReport" },
        CHECKPOINT_FAILURES_EXCEEDED: { actions: "onCoordinatorReport" },
        RESTORE_FAILED: { target: "failing", actions: "restoreFailed" },
        STOP_AFTER_SAVEPOINT: [
          // A rescale's savepoint: the job goes on at its new parallelism.
          { guard: ({ context }) => context.rescale !== undefined, target: "rescaling" },
          { target: "stopping", actions: assign({ stoppedWith: ({ event }) => event.location }) },
        ],
        RESCALE_REQUEST: { actions: "startRescale" },
        RESCALE_PLANNED: { actions: "rescalePlanned" },
        WORKER_JOINED: { actions: "noteWorkerJoined" },
        REACTIVE_GROW: { guard: ({ context }) => context.rescale === undefined, target: "rescaling", actions: "reactiveGrow" },
        // A failed region's subtasks deployed again and not heard from; in reactive mode, more slots looked for.
        RECONCILE: { actions: [{ type: "deployCreated", params: { again: true } }, "reactiveLook", "checkDeployAcks"] },
      },
      initial: "steady",
      states: {
        // Every subtask runs (or has finished); the coordinator takes checkpoints.
        steady: {
          always: { guard: "regionFailing", target: "regionFailover" },
          // Only here is there a coordinator to tell that a subtask finished.
          on: {
            TASK_STATE: [
              { guard: "newlyFinished", actions: [{ type: "applyReport", params: { expectCancel: false } }, "noteRegionalFailure", "forwardFinished"] },
              { actions: [{ type: "applyReport", params: { expectCancel: false } }, "noteRegionalFailure"] },
            ],
          },
          invoke: {
            id: "coordinator",
            src: "coordinator",
            input: ({ context, self }) => ({
              deps: { ...context.deps, log: context.deps.log.child({ actor: "checkpoint-coordinator" }) },
              snapshotEnumerators: enumeratedVertices(context.submission).length === 0 ? undefined : (checkpointId: number) => takeEnumeratorStates(self, enumeratedVertices(context.submission), checkpointId),
              jobId: context.submission.jobId,
              jobGraph: context.submission.jobGraph,
              config: context.submission.jobGraph.config.checkpointing,
              storage: context.storage!,
              epoch: context.attempt + 1,
              tasks: Object.values(context.tracker).map((e) => ({ task: e.deployment.task, finished: e.state === "finished" })),
              firstCheckpointId: context.nextCheckpointId,
              kept: context.kept,
            }),
          },
        },
        // Pipelined-region failover: the failed regions' subtasks are canceled, the rest runs on.
        regionFailover: {
          entry: ["cancelRegionTasks", "decideRestart"],
          always: [
            { guard: ({ context }) => allTerminalIn(context.tracker, context.recovering) && context.restart?.restart === true, target: "regionRestarting" },
            { guard: ({ context }) => allTerminalIn(context.tracker, context.recovering), target: "#job-master.failing", actions: assign({ recovering: [] }) },
          ],
          on: { TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: true } } }, RECONCILE: { actions: "cancelRegionTasks" } },
        },
        regionRestarting: {
          after: { restartDelay: { target: "regionDeploying", actions: ["restartReaders", "nextRegionAttempt", "deployCreated", "recordJob"] } },
        },
        regionDeploying: {
          always: [
            { guard: "regionFailing", target: "regionFailover" },
            { guard: "allRunning", target: "steady" },
          ],
        },
      },
    },
    failing: {
      entry: [{ type: "publishStatus", params: "failing" }, "stopEnumerators", "cancelLiveTasks", "decideRestart"],
      always: [
        { guard: ({ context }) => allTerminal(context.tracker) && context.restart?.restart === true, target: "restarting" },
        { guard: "allEnded", target: "failed" },
      ],
      on: {
        TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: true } } },
        WORKER_LOST: { actions: ["cancelTasksOnLostWorker", "applyWorkerLost"] },
        CANCEL: "canceling",
        RECONCILE: { actions: "cancelLiveTasks" },
      },
    },
    restarting: {
      entry: [{ type: "publishStatus", params: "restarting" }, "countRestart", "releaseSlots"],
      after: { restartDelay: { target: "scheduling", actions: "nextAttempt" } },
      on: { CANCEL: "canceled" },
    },
    // Rescaling: the old execution's subtasks end; then the job is scheduled at its new parallelism,
    // restoring the rescale's savepoint (reactive growth: the latest completed checkpoint).
    rescaling: {
      entry: [{ type: "publishStatus", params: "restarting" }, "countRestart", "stopEnumerators", "cancelLiveTasks"],
      always: { guard: "rescaleReady", target: "scheduling", actions: ["applyRescale", "releaseSlots"] },
      on: {
        TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: true } } },
        WORKER_LOST: { actions: ["cancelTasksOnLostWorker", "applyWorkerLost"] },
        RECONCILE: { actions: "cancelLiveTasks" },
        CANCEL: "canceling",
        // The savepoint was not taken after all: the job cannot go on from it.
        RESCALE_FAILED: { target: "failing", actions: ["rescaleFailed", assign({ error: ({ event }) => event.error })] },
      },
    },
    // Stop-with-savepoint without drain: the savepoint is complete; end every subtask where it stands.
    stopping: {
      entry: ["stopEnumerators", "cancelLiveTasks"],
      always: { guard: "allEnded", target: "finished" },
      on: {
        TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: true } } },
        WORKER_LOST: { actions: ["cancelTasksOnLostWorker", "applyWorkerLost"] },
        RECONCILE: { actions: "cancelLiveTasks" },
      },
    },
    canceling: {
      entry: [{ type: "publishStatus", params: "canceling" }, "stopEnumerators", "cancelLiveTasks"],
      always: { guard: "allEnded", target: "canceled" },
      on: {
        TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: true } } },
        WORKER_LOST: { actions: ["cancelTasksOnLostWorker", "applyWorkerLost"] },
        RECONCILE: { actions: "cancelLiveTasks" },
      },
    },
    finished: { type: "final", entry: ["releaseSlots", "forgetJob", { type: "disposeCheckpoints", params: { keep: false } }, { type: "publishStatus", params: "finished" }] },
    failed: { type: "final", entry: ["releaseSlots", "forgetJob", { type: "disposeCheckpoints", params: { keep: true } }, { type: "publishStatus", params: "failed" }] },
    canceled: {
      type: "final",
      entry: [
        "releaseSlots",
        "forgetJob",
        { type: "disposeCheckpoints", params: ({ context }) => ({ keep: context.submission.jobGraph.config.checkpointing?.retainOnCancel ?? false }) },
        { type: "publishStatus", params: "canceled" },
      ],
    },
  },
  output: ({ context }) => ({ jobId: context.submission.jobId, error: context.error }),
});
