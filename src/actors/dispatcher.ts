// The dispatcher actor: accepts job submissions and starts one job master per job.
// Receives submit-job (request/reply); replies submit-job-reply; spawns job-master children.
// When a job has ended it publishes its final job-status twice more (FINAL_STATUS_ECHOES_MS after),
// so a client or monitor that missed the job master's still learns how the job ended.
// A job's artifact is removed from the artifact bucket ARTIFACT_GRACE_MS after the last job that
// runs it has ended (the grace covers a client that found it stored and is about to submit it).

import { assign, enqueueActions, fromCallback, setup, spawnChild, stopChild, type ActorRefFrom } from "xstate";
import { subjects } from "../bus/subjects.ts";
import { busFor } from "../bus/trace.ts";
import type { JobStatus, SubmitJob } from "../messages/schema.ts";
import { listen, send, type ActorDeps, describeError } from "./actor-deps.ts";
import { jobMasterMachine, type JobMasterInput } from "./job-master.ts";
import type { JobLoader } from "./subtask.ts";
import { jobGraphProblems } from "../graph/job-graph-check.ts";
import { Rejections } from "../messages/rejections.ts";
import type { JobRecord, JobStore } from "../coordinator/job-record.ts";

export interface DispatcherInput {
  deps: ActorDeps;
  slotRequestTimeoutMs?: number;
  /** Returns the logger for one job's master (child of the process logger, with jobId). */
  jobLogger?: (jobId: string) => ActorDeps["log"];
  /** Loads a job's code, for sources with a split enumerator (absent: such jobs fail to start). */
  loadJob?: JobLoader;
  /** Removes a job artifact from the artifact bucket (absent: artifacts are kept). */
  removeArtifact?: (digest: string) => Promise<void>;
  /** How long after the last job running an artifact has ended it is removed (ms); default ARTIFACT_GRACE_MS. */
  artifactGraceMs?: number;
  /** Where accepted jobs are recorded for a job manager that takes over (absent: no leader election). */
  jobStore?: JobStore;
  /** Jobs a leader that is gone was running: this dispatcher's job masters take them over at once. */
  takeovers?: readonly JobRecord[];
  /** Reactive mode: every job runs at the parallelism of the slots there are. */
  reactive?: boolean;
}

interface DispatcherContext extends DispatcherInput {
  jobs: Record<string, ActorRefFrom<typeof jobMasterMachine>>;
  /** The artifact digest of each running job that has one. */
  artifacts: Record<string, string>;
}

export type DispatcherEvent =
  | { type: "SUBMIT"; message: SubmitJob; reply?: string }
  /** The job's record is stored: it is accepted. */
  | { type: "RECORDED"; message: SubmitJob; reply?: string }
  | ({ type: "JOB_ENDED" } & FinalStatus)
  | { type: "ECHOES_SENT"; jobId: string }
  | { type: "ARTIFACT_GRACE_OVER"; digest: string; jobId: string }
  /** A child actor threw (a job master, or the inbox): the error is contained here. */
  | { type: `xstate.error.actor.${string}`; error: unknown };

/** How a job ended, as its job master's final state says. */
interface FinalStatus {
  jobId: string;
  status: JobStatus;
  error?: string;
}

const JOB_MASTER_PREFIX = "job-";
const ECHO_PREFIX = "final-status-";

/** When, after a job ended, its final job-status is published again (ms). */
export const FINAL_STATUS_ECHOES_MS = [1000, 5000] as const;

/** Publishes a job's final status again at each of FINAL_STATUS_ECHOES_MS, then says so. */
const echoFinalStatus = fromCallback<DispatcherEvent, { deps: ActorDeps; ended: FinalStatus }>(({ input: { deps, ended }, sendBack }) => {
  const { jobId, status, error } = ended;
  const handles = FINAL_STATUS_ECHOES_MS.map((ms, i) =>
    deps.clock.setTimeout(() => {
      send(deps, subjects.jobStatus(jobId), { type: "job-status", jobId, status, error, timestamp: deps.clock.now() });
      if (i === FINAL_STATUS_ECHOES_MS.length - 1) sendBack({ type: "ECHOES_SENT", jobId });
    }, ms),
  );
  return () => handles.forEach((handle) => deps.clock.clearTimeout(handle));
});

/** The default of DispatcherInput.artifactGraceMs. */
const ARTIFACT_GRACE_MS = 60_000;
const ARTIFACT_PREFIX = "artifact-grace-";

/** Says when an ended job's artifact has waited out its grace. */
const artifactGrace = fromCallback<DispatcherEvent, { deps: ActorDeps; digest: string; jobId: string; graceMs: number }>(({ input: { deps, digest, jobId, graceMs }, sendBack }) => {
  const handle = deps.clock.setTimeout(() => sendBack({ type: "ARTIFACT_GRACE_OVER", digest, jobId }), graceMs);
  return () => deps.clock.clearTimeout(handle);
});

const inbox = fromCallback<DispatcherEvent, ActorDeps>(({ input: deps, sendBack }) => {
  const rejections = new Rejections(deps.metrics, deps.log, "dispatcher");
  const sub = listen(deps, "dispatcher", subjects.submitJob(), ["submit-job"], (message, reply) => {
    const problems = jobGraphProblems(message.jobGraph);
    if (problems.length === 0) {
      sendBack({ type: "SUBMIT", message, reply });
      return;
    }
    // Well-formed but unable to run: refused here, counted, and the client told what is wrong.
    const error = `job ${message.jobId} cannot run: ${problems.join("; ")}`;
    rejections.reject({ reason: "invalid", detail: error }, { subject: subjects.submitJob(), bytes: 0 });
    // Watchers (the monitor, a client that lost the reply) learn the job's end like any other; before
    // the reply, so a client that asked hears it first.
    send(deps, subjects.jobStatus(message.jobId), { type: "job-status", jobId: message.jobId, status: "failed", error, timestamp: deps.clock.now() });
    if (reply) send(deps, reply, { type: "submit-job-reply", jobId: message.jobId, accepted: false, error });
  });
  return () => sub.unsubscribe();
});

export const dispatcherMachine = setup({
  types: { input: {} as DispatcherInput, context: {} as DispatcherContext, events: {} as DispatcherEvent },
  actors: { inbox, jobMaster: jobMasterMachine, echoFinalStatus, artifactGrace },
  actions: {
    /** The job master is started (and the job recorded, with leader election): the client hears its job was accepted. */
    acceptSubmission: ({ context, event, self }) => {
      if (event.type !== "SUBMIT") return;
      const { message, reply } = event;
      const accept = () => {
        if (reply) send(context.deps, reply, { type: "submit-job-reply", jobId: message.jobId, accepted: true });
      };
      if (!context.jobStore) return accept();
      void context.jobStore.save({ submission: message, attempt: 0 }).then(() => self.send({ type: "RECORDED", message, reply }));
    },
    /** The ended job's artifact, if no running job shares it, waits out its grace before removal. */
    forgetArtifact: enqueueActions(({ context, event, enqueue }) => {
      const jobId = endedJob(event);
      const digest = jobId === undefined ? undefined : context.artifacts[jobId];
      if (jobId === undefined || digest === undefined || !context.removeArtifact) return;
      const artifacts = { ...context.artifacts };
      delete artifacts[jobId];
      enqueue.assign({ artifacts });
      if (Object.values(artifacts).includes(digest)) return;
      enqueue.spawnChild("artifactGrace", { id: `${ARTIFACT_PREFIX}${jobId}`, input: { deps: context.deps, digest, jobId, graceMs: context.artifactGraceMs ?? ARTIFACT_GRACE_MS } });
    }),
  },
  guards: {
    isDuplicate: ({ context, event }) => event.type === "SUBMIT" && event.message.jobId in context.jobs,
  },
}).createMachine({
  id: "dispatcher",
  context: ({ input }) => ({ ...input, jobs: {}, artifacts: {} }),
  invoke: { src: "inbox", input: ({ context }) => context.deps },
  // Jobs of a leader that is gone: taken over before any submission is heard.
  entry: assign({
    jobs: ({ context, spawn, self }) => Object.fromEntries((context.takeovers ?? []).map((record) => [record.submission.jobId, spawnJobMaster({ context, spawn: (id, input) => spawn("jobMaster", { id, input }), self }, record.submission, record)])),
    artifacts: ({ context }) => Object.assign({}, ...(context.takeovers ?? []).map((record) => artifactOf(record.submission))),
  }),
  on: {
    RECORDED: {
      actions: ({ context, event }) => {
        if (event.reply) send(context.deps, event.reply, { type: "submit-job-reply", jobId: event.message.jobId, accepted: true });
      },
    },
    SUBMIT: [
      {
        guard: "isDuplicate",
        actions: ({ context, event }) => {
          if (event.reply) send(context.deps, event.reply, { type: "submit-job-reply", jobId: event.message.jobId, accepted: false, error: "a job with this id is already running" });
        },
      },
      {
        actions: [
          assign({
            jobs: ({ context, event, spawn, self }) => ({ ...context.jobs, [event.message.jobId]: spawnJobMaster({ context, spawn: (id, input) => spawn("jobMaster", { id, input }), self }, event.message) }),
            artifacts: ({ context, event }) => ({ ...context.artifacts, ...artifactOf(event.message) }),
          }),
          "acceptSubmission",
        ],
      },
    ],
    JOB_ENDED: {
      actions: [
        "forgetArtifact",
        stopChild(({ event }) => `${JOB_MASTER_PREFIX}${endedJob(event)}`),
        assign({ jobs: ({ context, event }) => Object.fromEntries(Object.entries(context.jobs).filter(([id]) => id !== endedJob(event))) }),
        spawnChild("echoFinalStatus", {
          id: ({ event }) => `${ECHO_PREFIX}${endedJob(event) ?? ""}`,
          input: ({ context, event }) => ({ deps: context.deps, ended: event as FinalStatus }),
        }),
      ],
    },
    ECHOES_SENT: { actions: stopChild(({ event }) => `${ECHO_PREFIX}${event.jobId}`) },
    ARTIFACT_GRACE_OVER: {
      actions: [
        stopChild(({ event }) => `${ARTIFACT_PREFIX}${event.jobId}`),
        ({ context, event }) => {
          // Submitted again meanwhile: the new job keeps it.
          if (Object.values(context.artifacts).includes(event.digest)) return;
          const log = context.deps.log.child({ digest: event.digest });
          context.removeArtifact?.(event.digest).then(
            () => log.info("removed a job artifact no running job uses"),
            (error: unknown) => log.warn({ err: error }, "could not remove a job artifact no running job uses"),
          );
        },
      ],
    },
    // A job master that throws fails its job, visibly, and nothing else: the dispatcher and every
    // other job go on. Its slots are released and its status published as failed.
    "xstate.error.actor.*": {
      actions: [
        ({ context, event }) => {
          const jobId = endedJob(event);
          const error = `the job master failed: ${describeError(event.error)}`;
          // Not a job master (the inbox): the dispatcher cannot serve any more, so it fails as a whole.
          if (jobId === undefined) throw new Error(`a dispatcher child actor failed: ${describeError(event.error)}`);
          context.deps.log.error({ jobId, error }, "a job master threw; failing its job");
          if (!(jobId in context.jobs)) return;
          void context.jobStore?.remove(jobId);
          send(context.deps, subjects.releaseSlots(), { type: "release-slots", jobId });
          send(context.deps, subjects.jobStatus(jobId), { type: "job-status", jobId, status: "failed", error, timestamp: context.deps.clock.now() });
        },
        "forgetArtifact",
        stopChild(({ event }) => `${JOB_MASTER_PREFIX}${endedJob(event) ?? ""}`),
        assign({ jobs: ({ context, event }) => Object.fromEntries(Object.entries(context.jobs).filter(([id]) => id !== endedJob(event))) }),
      ],
    },
  },
});

/** The job whose master ended or threw, by the event that says so. */
function endedJob(event: DispatcherEvent): string | undefined {
  if (event.type === "JOB_ENDED") return event.jobId;
  const prefix = `xstate.error.actor.${JOB_MASTER_PREFIX}`;
  return event.type.startsWith(prefix) ? event.type.slice(prefix.length) : undefined;
}

/** The job's artifact digest by job id, if it runs from a bundle (the dispatcher removes it when the last job using it ends). */
function artifactOf(submission: SubmitJob): Record<string, string> {
  return submission.artifact.kind === "bundle" ? { [submission.jobId]: submission.artifact.digest } : {};
}

type SpawnJobMaster = (id: string, input: JobMasterInput) => ActorRefFrom<typeof jobMasterMachine>;

/** Starts the job master of one job (a new one, or one taken over) and turns its end into JOB_ENDED. */
function spawnJobMaster(
  { context, spawn, self }: { context: DispatcherContext; spawn: SpawnJobMaster; self: { send: (event: DispatcherEvent) => void } },
  submission: SubmitJob,
  takeover?: JobRecord,
): ActorRefFrom<typeof jobMasterMachine> {
  const { jobId } = submission;
  const log = context.jobLogger?.(jobId) ?? context.deps.log.child({ jobId });
  const ref = spawn(`${JOB_MASTER_PREFIX}${jobId}`, { deps: { ...context.deps, bus: busFor(context.deps.bus, `job-master/${jobId}`), log }, submission, slotRequestTimeoutMs: context.slotRequestTimeoutMs, jobStore: context.jobStore, takeover, loadJob: context.loadJob, reactive: context.reactive });
  // Its errors reach this actor as xstate.error.actor events; an observer without `error` would rethrow them.
  ref.subscribe({
    complete: () => {
      const { value, output } = ref.getSnapshot();
      self.send({ type: "JOB_ENDED", jobId, status: value as JobStatus, error: (output as { error?: string } | undefined)?.error });
    },
    error: () => undefined,
  });
  if (takeover) log.info({ jobName: submission.jobGraph.jobName, attempt: takeover.attempt, checkpointId: takeover.checkpoint?.id }, "job taken over");
  else log.info({ jobName: submission.jobGraph.jobName, vertices: submission.jobGraph.vertices.length }, "job submitted");
  return ref;
}
