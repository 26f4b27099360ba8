// The job master's types, effects and guards: the `setup` its machine (job-master.ts) is made from.
// Every action is named here, so the machine config reads as a table of states and transitions.

import { assign, enqueueActions, sendTo, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import type { JobStatus, SubmitJob, SubtaskId, } from "../messages/schema.ts";
import { taskLabel } from "../graph/task-label.ts";
import { decideRestart, type RestartStrategyConfig } from "../coordinator/restart-strategy.ts";
import { allInState, allTerminal, applyTaskReport, failTasksOn, isTerminal, nonTerminal, overdueDeploys, trackerKey, type TaskTracker } from "../coordinator/task-tracker.ts";
import { failedOutside, isPartial, redeployments, regionsOf } from "../coordinator/failover-regions.ts";
import { send, } from "./actor-deps.ts";
import { deployTasks, inbox, prepare, reconcileTicks, requestSlots, type JobMasterEvent } from "./job-master-effects.ts";
import { withException, withRestart, } from "../coordinator/job-record.ts";
import { cancelLeftovers, noteLeftover, takeoverDetail, } from "./job-master-takeover.ts";
import { checkpointCoordinatorMachine, } from "./checkpoint-coordinator.ts";
import { splitEnumeratorMachine, } from "./split-enumerator.ts";
import { enumeratedVertices, enumeratorId, enumeratorInput, } from "./job-master-enumerators.ts";
import { alignmentCoordinatorId, alignmentCoordinatorMachine, alignmentGroups } from "./watermark-alignment.ts";
import { reactiveGrower, reactiveSlots, rescaler } from "./job-master-rescale.ts";
import { maxParallelismOf, parallelismOf, reactiveTick, workerJoined, } from "../coordinator/rescale-plan.ts";
import type { JobMasterContext, JobMasterInput } from "./job-master-context.ts";
import { applyRescale, completeRescale, reactiveGrow, reactiveScheduled, refuseRescale, rescaleFailed, rescalePlanned, rescaleRefused, rescalerInput } from "./job-master-rescale-steps.ts";

/** How often the job master re-sends deploys and cancels that may have been lost (ms). */
export const RECONCILE_INTERVAL_MS = 2000;

/**
 * How long a worker may leave a subtask deployed there unacknowledged (no task-state, no heartbeat
 * naming it) before the resource manager is told: it declares the worker lost and offers no slots
 * on it for a while, and the job runs again elsewhere (ms).
 */
export const DEPLOY_ACK_TIMEOUT_MS = 10_000;


/** Flink's default: with checkpointing, restart (practically) forever after 1 s; without, never. */
export function defaultRestartStrategy(checkpointing: boolean): RestartStrategyConfig {
  return checkpointing ? { kind: "fixed-delay", attempts: Number.MAX_SAFE_INTEGER, delayMs: 1000 } : { kind: "none" };
}

export const onTaskEvents = {
  TASK_STATE: { actions: { type: "applyReport", params: { expectCancel: false } } },
  WORKER_LOST: { actions: ["cancelTasksOnLostWorker", "applyWorkerLost"] },
  CANCEL: "canceling",
  ENUMERATOR_FAILED: { actions: "enumeratorFailed" },
} as const;

export const jobMasterSetup = setup({
  types: { input: {} as JobMasterInput, context: {} as JobMasterContext, events: {} as JobMasterEvent },
  actors: { inbox, reconcileTicks, prepare, requestSlots, reactiveSlots, rescaler, reactiveGrower, coordinator: checkpointCoordinatorMachine, splitEnumerator: splitEnumeratorMachine, alignmentCoordinator: alignmentCoordinatorMachine },
  delays: { restartDelay: ({ context }) => (context.restart?.restart ? context.restart.delayMs : 0) },
  actions: {
    publishStatus: ({ context }, status: JobStatus) => {
      const { deps, submission, error } = context;
      deps.log.info({ status, error, attempt: context.attempt }, `job ${status}`);
      const stoppedWithSavepoint = status === "finished" ? context.stoppedWith : undefined;
      // A restart says why in one line (no stack), for `weir run` to print (e.g. "worker w1 was lost (no heartbeat)").
      const detail = status === "restarting" && error !== undefined ? error.split("\n", 1)[0] : undefined;
      send(deps, subjects.jobStatus(submission.jobId), { type: "job-status", jobId: submission.jobId, status, error, timestamp: deps.clock.now(), stoppedWithSavepoint, detail });
    },
    /**
     * Deploys every subtask not heard from yet: all of them at first, a failed region's again after
     * a regional failover, and, with `again`, those whose deploy-task or task-state was lost.
     */
    deployCreated: ({ context, self }, params?: { again: boolean }) => {
      const created = Object.values(context.tracker).filter((e) => e.state === "created").map((e) => e.deployment);
      if (created.length === 0) return;
      if (params?.again) context.deps.log.info({ subtasks: created.map((d) => taskLabel(context.submission.jobGraph, d.task.vertexId, d.task.subtaskIndex)) }, "no word from deployed subtasks: deploying them again");
      const outcome = deployTasks(context.deps, context.submission, context.restoreFrom, created);
      if (!outcome.ok) self.send({ type: "RESTORE_FAILED", reason: outcome.reason });
    },
    /** Workers that leave deployed subtasks unacknowledged for too long are reported to the resource manager. */
    checkDeployAcks: assign(({ context }) => {
      const { tracker, workers } = overdueDeploys(context.tracker, context.deps.clock.now(), DEPLOY_ACK_TIMEOUT_MS);
      for (const workerId of workers) {
        const subtasks = Object.values(tracker).filter((e) => e.state === "created" && e.deployment.workerId === workerId).length;
        context.deps.log.warn({ workerId, subtasks }, "a worker did not acknowledge subtasks deployed there: reporting it to the resource manager");
        send(context.deps, subjects.workerUnresponsive(), { type: "worker-unresponsive", workerId, jobId: context.submission.jobId, subtasks });
      }
      return { tracker };
    }),
    /** The failed regions' subtasks become a new attempt, in the slots they had; the rest runs on. */
    nextRegionAttempt: assign(({ context }) => {
      const attempt = context.attempt + 1;
      context.deps.log.warn({ vertices: context.recovering, attempt, checkpointId: context.restoreFrom?.checkpointId }, "restarting the failed region(s)");
      const tracker = { ...context.tracker };
      for (const deployment of redeployments(context.tracker, new Set(context.recovering), attempt)) tracker[trackerKey(deployment.task)] = { deployment, state: "created" };
      return { attempt, tracker, recovering: [], error: undefined, restart: undefined };
    }),
    /** Nothing was deployed: the job fails with the reason, and no restart could do better. */
    restoreFailed: assign(({ context, event }) => {
      if (event.type !== "RESTORE_FAILED") return {};
      const tracker: Record<string, TaskTracker[string]> = {};
      for (const [key, entry] of Object.entries(context.tracker)) tracker[key] = entry.state === "created" ? { ...entry, state: "canceled" } : entry;
      return { tracker, error: event.reason, restart: { restart: false as const, reason: "the restore cannot succeed" } };
    }),
    /** A subtask failed: fail over its pipelined regions alone when others can run on. */
    noteRegionalFailure: assign(({ context, event }) => {
      // An unrecoverable failure fails the whole job (applyReport).
      if (event.type !== "TASK_STATE" || event.state !== "failed" || event.unrecoverable) return {};
      const entry = context.tracker[trackerKey(event.task)];
      if (!entry || entry.deployment.task.attempt !== event.task.attempt) return {};
      const { jobGraph } = context.submission;
      const regions = regionsOf(jobGraph, [event.task.vertexId, ...context.recovering]);
      if (!isPartial(jobGraph, regions)) return {};
      context.deps.log.warn({ task: event.task, error: event.error, vertices: [...regions] }, "a task failed: failing over its region");
      const cause = `task ${taskLabel(jobGraph, event.task.vertexId, event.task.subtaskIndex)} failed: ${event.error ?? "unknown error"}`;
      return { recovering: [...regions].sort(), error: undefined, lastFailure: cause };
    }),
    cancelRegionTasks: ({ context }) => {
      const vertices = new Set(context.recovering);
      for (const deployment of nonTerminal(context.tracker)) {
        if (vertices.has(deployment.task.vertexId)) send(context.deps, subjects.workerControl(deployment.workerId), { type: "cancel-task", task: deployment.task });
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
      // A subtask of an older execution still running (a leftover of a job manager that is gone): it is told to stop.
      if (outcome === "stale" && event.workerId && !isTerminal(event.state) && event.task.attempt < (context.tracker[trackerKey(event.task)]?.deployment.task.attempt ?? 0)) {
        send(context.deps, subjects.workerControl(event.workerId), { type: "cancel-task", task: event.task });
      }
      const label = taskLabel(context.submission.jobGraph, event.task.vertexId, event.task.subtaskIndex);
      const failed = event.state === "failed" && outcome === "updated";
      // The exception as the monitor shows it, kept in the job's record too.
      const figures = failed ? withException(context.figures, { timestamp: context.deps.clock.now(), message: event.error ?? "unknown error", task: label, workerId: event.workerId }) : context.figures;
      let error = context.error;
      if (!error && failed) error = `task ${label} failed: ${event.error ?? "unknown error"}`;
      // No restart can cure it: the job fails at once, whatever its restart strategy.
      if (failed && event.unrecoverable && context.restart?.restart !== false) {
        return { tracker, figures, error: `${error} (not restarted: no restart can cure this failure)`, restart: { restart: false as const, reason: "the failure is unrecoverable" } };
      }
      if (!error && event.state === "canceled" && outcome === "updated" && !params.expectCancel) error = `task ${label} was canceled by its worker (was the worker stopped?)`;
      return { tracker, figures, error };
    }),
    /** A finished subtask takes no part in later checkpoints (only on a first report that it finished: see newlyFinished). */
    forwardFinished: sendTo("coordinator", ({ event }) => ({ type: "TASK_FINISHED" as const, task: event.type === "TASK_STATE" ? event.task : ({} as SubtaskId) }), {}),
    /** The worker may only be cut off from the resource manager: its subtasks are told to stop. */
    cancelTasksOnLostWorker: ({ context, event }) => {
      if (event.type !== "WORKER_LOST") return;
      for (const deployment of nonTerminal(context.tracker)) {
        if (deployment.workerId === event.workerId) send(context.deps, subjects.workerControl(deployment.workerId), { type: "cancel-task", task: deployment.task });
      }
    },
    applyWorkerLost: assign(({ context, event }) => {
      if (event.type !== "WORKER_LOST") return {};
      const why = {
        unregistered: "left the cluster",
        "heartbeat-timeout": "was lost (no heartbeat)",
        unreachable: "was lost (its connection is gone)",
        unresponsive: `did not acknowledge subtasks deployed there within ${DEPLOY_ACK_TIMEOUT_MS / 1000} s`,
      }[event.reason];
      const hit = nonTerminal(context.tracker).some((d) => d.workerId === event.workerId);
      return { tracker: failTasksOn(context.tracker, event.workerId), error: context.error ?? (hit ? `worker ${event.workerId} ${why}` : undefined) };
    }),
    /** Decides, once per failure, whether the restart strategy allows another execution. */
    decideRestart: assign(({ context }) => {
      if (context.restart?.restart === false) return {}; // already decided: a region could not restart
      const now = context.deps.clock.now();
      const { config } = context.submission.jobGraph;
      const strategy = config.restartStrategy ?? defaultRestartStrategy(config.checkpointing !== undefined);
      const failureTimes = [...context.failureTimes, now];
      const restart = decideRestart(strategy, { failures: failureTimes }, now);
      // Info: the job's final status says so too ("… (not restarted: <reason>)").
      if (!restart.restart) context.deps.log.info({ reason: restart.reason }, "not restarting the job");
      const cause = context.error ?? context.lastFailure ?? "the job failed";
      return { failureTimes, restart, error: restart.restart ? context.error : `${cause} (not restarted: ${restart.reason})` };
    }),
    nextAttempt: assign(({ context }) => {
      context.deps.log.warn({ cause: context.error, attempt: context.attempt + 1, checkpointId: context.restoreFrom?.checkpointId }, "restarting the job");
      return { attempt: context.attempt + 1, tracker: {}, error: undefined, restart: undefined, recovering: [] };
    }),
    onCoordinatorReport: assign(({ context, event }) => {
      switch (event.type) {
        case "CHECKPOINT_TRIGGERED":
          return { nextCheckpointId: Math.max(context.nextCheckpointId, event.checkpointId + 1) };
        case "CHECKPOINT_COMPLETED":
          // A rescale's savepoint is what the rescaled job restores.
          if (event.kind === "savepoint" && context.rescale && !context.rescale.fromCheckpoint) return { rescale: { ...context.rescale, savepoint: { metadata: event.metadata, location: event.location } } };
          // Failover restores checkpoints only; a savepoint is the user's.
          return event.kind === "checkpoint" ? { restoreFrom: event.metadata, kept: event.kept, latestCheckpoint: { id: event.metadata.checkpointId, location: event.location } } : {};
        case "SAVEPOINTS_IN_FLIGHT":
          return { savepointsInFlight: event.count };
        case "CHECKPOINT_FAILURES_EXCEEDED":
          return { error: context.error ?? event.reason };
        default:
          return {};
      }
    }),
    /** Keeps the job's record current for a job manager that takes over: its attempt, latest checkpoint and figures. */
    recordJob: ({ context }) => void context.jobStore?.save({ submission: context.submission, attempt: context.attempt, checkpoint: context.latestCheckpoint, figures: context.figures }),
    /** The job goes into `restarting` (the monitor counts it as a restart too). */
    countRestart: assign(({ context }) => ({ figures: withRestart(context.figures) })),
    /** Says, to the client and the monitor, that this job manager took the job over and from where it goes on. */
    announceTakeover: ({ context }) => {
      const { deps, submission } = context;
      const detail = takeoverDetail(deps.epoch, context.restoreFrom?.checkpointId);
      deps.log.warn({ epoch: deps.epoch, checkpointId: context.restoreFrom?.checkpointId, attempt: context.attempt }, "taking the job over");
      send(deps, subjects.jobStatus(submission.jobId), { type: "job-status", jobId: submission.jobId, status: "restarting", timestamp: deps.clock.now(), detail });
    },
    noteLeftover: assign(({ context, event }) => {
      if (event.type !== "TASK_STATE" || !event.workerId) return {};
      const leftovers = noteLeftover(context.deps, context.leftovers, event.task, event.workerId, event.state);
      // The new execution's attempt stays above every old one the workers announce.
      return { leftovers, attempt: Math.max(context.attempt, event.task.attempt + 1) };
    }),
    cancelLeftovers: ({ context }) => cancelLeftovers(context.deps, context.leftovers),
    /** The job is over: a job manager that takes over has nothing to do for it. */
    forgetJob: ({ context }) => void context.jobStore?.remove(context.submission.jobId),
    /** This execution's split enumerators, restored from what the next deployment restores. */
    startEnumerators: enqueueActions(({ context, enqueue }) => {
      for (const vertex of enumeratedVertices(context.submission)) {
        const input = enumeratorInput(context.deps, context.submission, vertex, context.sources[vertex.id], context.attempt, context.restoreFrom);
        enqueue.spawnChild("splitEnumerator", { id: enumeratorId(vertex.id), input });
      }
      const { deps, submission } = context;
      for (const group of alignmentGroups(submission)) {
        enqueue.spawnChild("alignmentCoordinator", { id: alignmentCoordinatorId(group.group), input: { ...group, deps, jobId: submission.jobId, secret: submission.secret } });
      }
    }),
    stopEnumerators: enqueueActions(({ context, enqueue }) => {
      for (const vertex of enumeratedVertices(context.submission)) enqueue.stopChild(enumeratorId(vertex.id));
      for (const group of alignmentGroups(context.submission)) enqueue.stopChild(alignmentCoordinatorId(group.group));
    }),
    /** A failed region's readers restart from the latest completed checkpoint: their later splits go back. */
    restartReaders: enqueueActions(({ context, enqueue }) => {
      const recovering = new Set(context.recovering);
      for (const vertex of enumeratedVertices(context.submission)) {
        if (recovering.has(vertex.id)) enqueue.sendTo(enumeratorId(vertex.id), { type: "READERS_RESTARTED", attempt: context.attempt + 1 });
      }
    }),
    /** Splits handed out before a completed checkpoint's snapshot are its readers' now (savepoints are never failed over to). */
    tellEnumeratorsCompleted: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CHECKPOINT_COMPLETED" || event.kind !== "checkpoint") return;
      for (const vertex of enumeratedVertices(context.submission)) enqueue.sendTo(enumeratorId(vertex.id), { type: "CHECKPOINT_COMPLETE", checkpointId: event.metadata.checkpointId });
    }),
    enumeratorFailed: assign(({ context, event }) => {
      if (event.type !== "ENUMERATOR_FAILED") return {};
      context.deps.log.warn({ vertexId: event.vertexId, reason: event.reason }, "a split enumerator failed");
      // A failure no restart can cure (a path that does not exist) fails the job for good, as a subtask's does.
      if (event.unrecoverable && context.restart?.restart !== false) {
        return { error: `${event.reason} (not restarted: no restart can cure this failure)`, restart: { restart: false as const, reason: "the failure is unrecoverable" } };
      }
      return { error: context.error ?? event.reason };
    }),
    /** The job ended: unless its checkpoints are kept, delete everything it left, once a commit still running has ended. */
    disposeCheckpoints: ({ context }, params: { keep: boolean }) => {
      const { storage } = context;
      if (!storage) return;
      const jobId = context.submission.jobId;
      storage.seal();
      const work = params.keep ? storage.settled() : storage.settled().then(() => storage.discardJob(jobId));
      void work.then(() => storage.close()).catch((error: Error) => context.deps.log.warn({ err: error }, "cleaning up checkpoints failed"));
    },
    /** In `running`: check the request and take the savepoint (one rescale at a time). */
    startRescale: enqueueActions(({ context, event, enqueue }) => {
      const input = rescalerInput(context, event);
      if (input) enqueue.spawnChild("rescaler", { id: "rescaler", input });
    }),
    refuseRescale: ({ context, event }) => refuseRescale(context, event),
    rescaleRefused: enqueueActions(({ context, event, enqueue }) => {
      if (rescaleRefused(context, event)) enqueue.stopChild("rescaler");
    }),
    rescalePlanned: assign(({ context, event }) => rescalePlanned(context, event)),
    /** The savepoint failed: the job runs on as it was. */
    rescaleFailed: enqueueActions(({ context, event, enqueue }) => {
      if (!rescaleFailed(context, event)) return;
      enqueue.assign({ rescale: undefined });
      enqueue.stopChild("rescaler");
    }),
    reactiveGrow: assign(({ context, event }) => reactiveGrow(context, event)),
    applyRescale: assign(({ context }) => applyRescale(context)),
    completeRescale: assign(({ context }) => completeRescale(context)),
    reactiveScheduled: assign(({ context, event }) => reactiveScheduled(context, (event as unknown as { output: { submission: SubmitJob } }).output.submission)),
    noteWorkerJoined: assign(({ context }) => ({ reactiveState: workerJoined(context.reactiveState, context.deps.clock.now()) })),
    /** Once workers that joined have settled, a job below its max parallelism looks for more slots. */
    reactiveLook: enqueueActions(({ context, enqueue }) => {
      if (!context.reactive || context.rescale) return;
      const { jobGraph } = context.submission;
      const { state, look } = reactiveTick(context.reactiveState, context.deps.clock.now(), { parallelism: parallelismOf(jobGraph), upper: maxParallelismOf(jobGraph) });
      enqueue.assign({ reactiveState: state });
      if (look) enqueue.spawnChild("reactiveGrower", { id: "reactive-grower", input: { deps: context.deps, submission: context.submission, loadJob: context.loadJob } });
    }),
  },
  guards: {
    rescaleReady: ({ context }) => allTerminal(context.tracker) && context.rescale !== undefined && (context.rescale.fromCheckpoint || context.rescale.savepoint !== undefined),
    // A task canceled without the job master asking (its worker stopped) fails the job as well.
    anyFailed: ({ context }) => failedOutside(context.tracker, context.recovering) || context.error !== undefined,
    regionFailing: ({ context }) => context.recovering.length > 0,
    allRunning: ({ context }) => allInState(context.tracker, ["running", "finished"]),
    allFinished: ({ context }) => allInState(context.tracker, ["finished"]) && context.savepointsInFlight === 0,
    allEnded: ({ context }) => allTerminal(context.tracker),
    mayRestart: ({ context }) => context.restart?.restart === true,
    /** A subtask of this attempt reports it finished, for the first time (workers announce states again). */
    newlyFinished: ({ context, event }) => {
      if (event.type !== "TASK_STATE" || event.state !== "finished") return false;
      const entry = context.tracker[trackerKey(event.task)];
      return entry !== undefined && entry.deployment.task.attempt === event.task.attempt && entry.state !== "finished";
    },
  },
});
