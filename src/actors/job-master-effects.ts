// The job master's effects that are more than a message: its inbox, the ticks that make it re-send
// what may have been lost, opening checkpoint storage (and the savepoint a job starts from), asking
// the resource manager for slots, and deploying subtasks with their share of the snapshot to
// restore. The job master machine invokes or calls these.

import { fromCallback, fromPromise } from "xstate";
import { NoRespondersError } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import type { CheckpointMetadata } from "../checkpoint/checkpoint-metadata.ts";
import { loadMetadata, openCheckpointStorage } from "../checkpoint/checkpoint-storage.ts";
import { inlineRestoreBytes, planRestore, type RestorePlan } from "../checkpoint/restore-plan.ts";
import { DEFAULT_CHECKPOINT_STORAGE, MAX_INLINE_STATE_BYTES } from "../checkpoint/storage-spec.ts";
import { trackCommits, type TrackedCheckpointStorage } from "../checkpoint/tracked-storage.ts";
import type { Deployment } from "../coordinator/execution-plan.ts";
import { trackerKey } from "../coordinator/task-tracker.ts";
import { decode, encode } from "../messages/codec.ts";
import { channelToken, collectKey } from "../messages/deployment-binding.ts";
import type { SlotGrant, SubmitJob, SubtaskId, TaskState, WorkerLost } from "../messages/schema.ts";
import type { JobRecord } from "../coordinator/job-record.ts";
import type { Clock } from "../core/clock.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";
import type { CoordinatorReport } from "./checkpoint-coordinator.ts";
import type { SplitEnumeratorReport } from "./split-enumerator.ts";
import { loadSources } from "./job-master-enumerators.ts";
import { takeoverCheckpoint } from "./job-master-takeover.ts";
import type { JobLoader } from "./subtask.ts";
import type { Source } from "../operators/source.ts";
import type { RescaleEvent } from "./job-master-rescale.ts";

/** The job master's messages: task states, cancellation (answered at once), lost workers. */
/** What a job master hears: its subtasks, its own reconcile tick, cancel requests, lost workers, its coordinator and enumerators. */
export type JobMasterEvent =
  | { type: "TASK_STATE"; task: SubtaskId; state: TaskState; error?: string; unrecoverable?: boolean; workerId?: string }
  | { type: "RECONCILE" }
  | { type: "CANCEL" }
  | { type: "WORKER_LOST"; workerId: string; reason: WorkerLost["reason"] }
  | { type: "RESTORE_FAILED"; reason: string }
  | { type: "WORKER_JOINED"; workerId: string }
  | RescaleEvent
  | CoordinatorReport
  | SplitEnumeratorReport;

export const inbox = fromCallback<JobMasterEvent, { deps: ActorDeps; jobId: string; reactive: boolean }>(({ input: { deps, jobId, reactive }, sendBack }) => {
  const endpoint = `job-master ${jobId}`;
  const subs = [
    listen(deps, endpoint, subjects.taskState(jobId), ["task-state"], (m) => sendBack({ type: "TASK_STATE", task: m.task, state: m.state, error: m.error, unrecoverable: m.unrecoverable, workerId: m.workerId })),
    listen(deps, endpoint, subjects.cancelJob(jobId), ["cancel-job"], (_m, reply) => {
      // Answered at once: a job master exists for this job, and cancellation has begun.
      if (reply) send(deps, reply, { type: "cancel-job-reply", jobId });
      sendBack({ type: "CANCEL" });
    }),
    listen(deps, endpoint, subjects.workerLost(), ["worker-lost"], (m) => {
      if (m.jobIds.includes(jobId)) sendBack({ type: "WORKER_LOST", workerId: m.workerId, reason: m.reason });
    }),
    listen(deps, endpoint, subjects.rescaleJob(jobId), ["rescale-job"], (m, reply) => sendBack({ type: "RESCALE_REQUEST", parallelism: m.parallelism, savepointDir: m.savepointDir, reply })),
  ];
  // Reactive mode: a worker joining may let the job grow (the resource manager answers the registration).
  if (reactive) subs.push(listen(deps, endpoint, subjects.registerWorker(), ["register-worker"], (m) => sendBack({ type: "WORKER_JOINED", workerId: m.workerId })));
  return () => subs.forEach((s) => s.unsubscribe());
});

/** Sends RECONCILE every interval, on the actor's clock. */
export const reconcileTicks = fromCallback<JobMasterEvent, { clock: Clock; intervalMs: number }>(({ input: { clock, intervalMs }, sendBack }) => {
  let handle: unknown;
  const tick = () => {
    sendBack({ type: "RECONCILE" });
    handle = clock.setTimeout(tick, intervalMs);
  };
  handle = clock.setTimeout(tick, intervalMs);
  return () => clock.clearTimeout(handle);
});

/**
 * Loads the code of sources with a split enumerator, opens checkpoint storage and loads (and checks
 * against the job) the savepoint the job starts from; taking over, its latest checkpoint.
 */
export const prepare = fromPromise<Prepared, { deps: ActorDeps; submission: SubmitJob; takeover?: JobRecord; loadJob?: JobLoader }>(async ({ input }) => {
  const { deps, submission, takeover } = input;
  // Sources with a split enumerator: the job's code is loaded here, before anything is deployed.
  const sources = await loadSources(submission, input.loadJob);
  const storage = trackCommits(await openCheckpointStorage(submission.jobGraph.config.checkpointing?.storage ?? DEFAULT_CHECKPOINT_STORAGE, { nats: deps.nats }));
  if (takeover) {
    const latest = await takeoverCheckpoint(deps, storage, takeover);
    if (latest) {
      planRestore(latest.metadata, submission.jobGraph, { allowNonRestoredState: submission.restoreFrom?.allowNonRestoredState ?? false });
      return { storage, restoreFrom: latest.metadata, latestCheckpoint: { id: latest.metadata.checkpointId, location: latest.location }, sources };
    }
  }
  const settings = submission.restoreFrom;
  if (!settings) return { storage, sources };
  const restoreFrom = await loadMetadata(settings.location, { nats: deps.nats });
  planRestore(restoreFrom, submission.jobGraph, { allowNonRestoredState: settings.allowNonRestoredState });
  deps.log.info({ location: settings.location, checkpointId: restoreFrom.checkpointId, kind: restoreFrom.kind }, "restoring from a snapshot");
  return { storage, restoreFrom, sources };
});

export interface Prepared {
  storage: TrackedCheckpointStorage;
  restoreFrom?: CheckpointMetadata;
  /** Taking over: the latest completed checkpoint's id and location. */
  latestCheckpoint?: { id: number; location: string };
  sources: Record<string, Source<unknown>>;
}

/** How often a job waiting for slots says so (the first time at once). */
export const SLOT_PROGRESS_INTERVAL_MS = 5000;

/**
 * Asks the resource manager for slots, retrying while there are too few, until the timeout.
 * While it waits, it says so: logged, and published as the `scheduling` status's detail for
 * `weir run` to print (at once, then every SLOT_PROGRESS_INTERVAL_MS).
 */
export const requestSlots = fromPromise<SlotGrant[], { deps: ActorDeps; jobId: string; count: number; timeoutMs: number }>(async ({ input, signal }) => {
  const { deps, jobId, count, timeoutMs } = input;
  const started = deps.clock.now();
  const deadline = started + timeoutMs;
  let lastError = "the resource manager did not answer";
  let nextProgress = started;
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
    const now = deps.clock.now();
    if (now >= deadline) break;
    if (now >= nextProgress && !signal.aborted) {
      const detail = `waiting for slots (${Math.round((now - started) / 1000)} of ${Math.round(timeoutMs / 1000)} s): ${lastError}`;
      deps.log.info({ count, waitedMs: now - started, timeoutMs }, detail);
      send(deps, subjects.jobStatus(jobId), { type: "job-status", jobId, status: "scheduling", timestamp: now, detail });
      nextProgress = now + SLOT_PROGRESS_INTERVAL_MS;
    }
    await new Promise<void>((resolve) => deps.clock.setTimeout(() => resolve(), 250));
  }
  throw new Error(`could not get ${count} slot${count === 1 ? "" : "s"} within ${timeoutMs} ms: ${lastError}`);
});

/**
 * Sends deploy-task for `deployments`, each with its share of `restoreFrom`, if any — or nothing
 * at all when a restore cannot succeed (a job is never left half deployed).
 */
export function deployTasks(deps: ActorDeps, submission: SubmitJob, restoreFrom: CheckpointMetadata | undefined, deployments: readonly Deployment[]): { ok: true } | { ok: false; reason: string } {
  let plan: RestorePlan | undefined;
  try {
    plan = restoreFrom ? planRestore(restoreFrom, submission.jobGraph, { allowNonRestoredState: submission.restoreFrom?.allowNonRestoredState ?? false }) : undefined;
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  for (const deployment of deployments) {
    const restore = plan?.get(trackerKey(deployment.task));
    if (restore && inlineRestoreBytes(restore) > MAX_INLINE_STATE_BYTES) {
      const { vertexId, subtaskIndex } = deployment.task;
      return { ok: false, reason: `the state to restore into ${vertexId}[${subtaskIndex}] is too large to travel inline: configure env.getCheckpointConfig().setCheckpointStorage('file:///…') or 'object-store://…'` };
    }
  }
  for (const deployment of deployments) {
    send(deps, subjects.workerControl(deployment.workerId), {
      type: "deploy-task",
      task: deployment.task,
      slotIndex: deployment.slotIndex,
      artifact: submission.artifact,
      jobGraph: submission.jobGraph,
      restore: plan?.get(trackerKey(deployment.task)),
      channelToken: channelToken(submission.secret, deployment.task.attempt),
      collectKey: collectKey(submission.secret),
    });
  }
  return { ok: true };
}
