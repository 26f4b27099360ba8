// The job master's rescale steps, as plain functions of its context and event: a `weir rescale`
// request checked and answered, the planned graph taken on, the old execution's end turned into
// the new one (from the rescale's savepoint, or the latest checkpoint when reactive mode grows).
// The job master's setup (job-master-setup.ts) wraps them into its named actions.

import { subjects } from "../bus/subjects.ts";
import { parallelismOf } from "../coordinator/rescale-plan.ts";
import type { SubmitJob } from "../messages/schema.ts";
import { send, type ActorDeps } from "./actor-deps.ts";
import type { JobMasterEvent } from "./job-master-effects.ts";
import type { JobMasterContext } from "./job-master-context.ts";

type ContextUpdate = Partial<JobMasterContext>;

/** In `running`: the rescaler's input for a request it may take on; a request it may not is answered with why. */
export function rescalerInput(context: JobMasterContext, event: JobMasterEvent) {
  if (event.type !== "RESCALE_REQUEST") return undefined;
  const { jobId } = context.submission;
  if (context.rescale) return replyRescale(context.deps, event.reply, jobId, { error: `job ${jobId} is being rescaled already; try again once it runs` });
  if (context.recovering.length > 0) return replyRescale(context.deps, event.reply, jobId, { error: `job ${jobId} is recovering a failed region; try again once it runs` });
  context.deps.log.info({ parallelism: event.parallelism }, "rescale requested");
  return { deps: context.deps, submission: context.submission, parallelism: event.parallelism, savepointDir: event.savepointDir, reply: event.reply, loadJob: context.loadJob };
}

/** Outside `running`: the request is refused. */
export function refuseRescale(context: JobMasterContext, event: JobMasterEvent): void {
  if (event.type !== "RESCALE_REQUEST") return;
  const { jobId } = context.submission;
  replyRescale(context.deps, event.reply, jobId, { error: `job ${jobId} is not running right now (it is being deployed, restarted, rescaled or stopped): it can be rescaled once it runs` });
}

/** The rescaler refused the request: whoever asked hears why; true when the rescaler is to be stopped. */
export function rescaleRefused(context: JobMasterContext, event: JobMasterEvent): boolean {
  if (event.type !== "RESCALE_REFUSED") return false;
  context.deps.log.info({ reason: event.error }, "rescale refused");
  replyRescale(context.deps, event.reply, context.submission.jobId, { error: event.error });
  return true;
}

export function rescalePlanned(context: JobMasterContext, event: JobMasterEvent): ContextUpdate {
  if (event.type !== "RESCALE_PLANNED") return {};
  context.deps.log.info({ parallelism: parallelismOf(event.next.jobGraph), fixed: event.fixed }, "rescaling: taking a savepoint and stopping the job");
  return { rescale: { next: event.next, reply: event.reply, fromCheckpoint: false } };
}

/** The savepoint failed: whoever asked hears why; true when the rescale is to be dropped (the job runs on as it was). */
export function rescaleFailed(context: JobMasterContext, event: JobMasterEvent): boolean {
  if (event.type !== "RESCALE_FAILED") return false;
  context.deps.log.warn({ reason: event.error }, "rescale failed");
  replyRescale(context.deps, context.rescale?.reply, context.submission.jobId, { error: event.error });
  return true;
}

export function reactiveGrow(context: JobMasterContext, event: JobMasterEvent): ContextUpdate {
  if (event.type !== "REACTIVE_GROW") return {};
  context.deps.log.info({ parallelism: parallelismOf(event.next.jobGraph), granted: event.granted }, "reactive mode: more slots; growing from the latest checkpoint");
  return { rescale: { next: event.next, fromCheckpoint: true } };
}

/** Every subtask of the old execution has ended: the new graph becomes the job, a new attempt from the snapshot. */
export function applyRescale(context: JobMasterContext): ContextUpdate {
  const { rescale } = context;
  if (!rescale) return {};
  const { savepoint } = rescale;
  const parallelism = parallelismOf(rescale.next.jobGraph);
  const detail = `rescaled to parallelism ${parallelism}${savepoint ? ` from savepoint ${savepoint.location}` : context.restoreFrom ? ` from checkpoint ${context.restoreFrom.checkpointId}` : ""}`;
  context.deps.log.warn({ parallelism, attempt: context.attempt + 1 }, detail);
  const { jobId } = rescale.next;
  send(context.deps, subjects.jobStatus(jobId), { type: "job-status", jobId, status: "restarting", timestamp: context.deps.clock.now(), detail, jobGraph: rescale.next.jobGraph });
  return {
    submission: rescale.next,
    restoreFrom: savepoint?.metadata ?? context.restoreFrom,
    latestCheckpoint: savepoint ? { id: savepoint.metadata.checkpointId, location: savepoint.location } : context.latestCheckpoint,
    nextCheckpointId: Math.max(context.nextCheckpointId, (savepoint?.metadata.checkpointId ?? 0) + 1),
    attempt: context.attempt + 1,
    tracker: {},
    error: undefined,
    restart: undefined,
    recovering: [],
    savepointsInFlight: 0,
    rescale: { ...rescale, savepoint: undefined },
  };
}

/** The rescaled job runs: whoever asked hears so. */
export function completeRescale(context: JobMasterContext): ContextUpdate {
  if (!context.rescale) return {};
  const parallelism = parallelismOf(context.submission.jobGraph);
  // A failover before the savepoint: the job runs on at its old parallelism.
  const done = context.rescale.next.jobGraph.digest === context.submission.jobGraph.digest;
  replyRescale(context.deps, context.rescale.reply, context.submission.jobId, done ? { parallelism } : { error: `job ${context.submission.jobId} failed over before its rescale's savepoint; it runs at parallelism ${parallelism}: try again` });
  return { rescale: undefined };
}

/** Reactive scheduling chose the parallelism of the slots it got: a change is published with the new graph. */
export function reactiveScheduled(context: JobMasterContext, scheduled: SubmitJob): ContextUpdate {
  if (scheduled.jobGraph.digest === context.submission.jobGraph.digest) return {};
  const parallelism = parallelismOf(scheduled.jobGraph);
  const detail = `reactive mode: running at parallelism ${parallelism}, the slots there are`;
  context.deps.log.warn({ parallelism }, detail);
  const { jobId } = scheduled;
  send(context.deps, subjects.jobStatus(jobId), { type: "job-status", jobId, status: "scheduling", timestamp: context.deps.clock.now(), detail, jobGraph: scheduled.jobGraph });
  return { submission: scheduled };
}

/** Answers a `weir rescale` request, if it came with a reply subject. */
function replyRescale(deps: ActorDeps, to: string | undefined, jobId: string, outcome: { parallelism?: number; error?: string }): undefined {
  if (to) send(deps, to, { type: "rescale-job-reply", jobId, ...outcome });
  return undefined;
}
