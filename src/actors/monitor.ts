// The monitor actor: watches the control plane of every job and worker (submissions, statuses,
// task states, checkpoints, heartbeats, the workers' task figures) and answers what the cluster
// runs: the REST API and `weir list`/`weir info` ask it. It only listens and answers; it steers
// nothing. Its view is folded by the pure ClusterView (src/monitor/cluster-view.ts). With a job
// history it first loads the jobs earlier job managers saw end, and saves each job that ends.
//
//   loading ─history loaded (or none, or it failed)─▶ watching
// Receives those messages and monitor-query (request/reply); sends monitor-reply.

import { fromCallback, fromPromise, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import type { JobRecord } from "../coordinator/job-record.ts";
import type { ControlMessage, MessageType, MonitorQuery } from "../messages/schema.ts";
import { ClusterView } from "../monitor/cluster-view.ts";
import type { JobHistory } from "../monitor/job-history.ts";
import type { JobDetails } from "../observability/views.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";

export interface MonitorInput {
  deps: ActorDeps;
  /** weir's version, shown in the overview. */
  version: string;
  /** Where ended jobs are kept beyond this monitor's life; none: in memory only. */
  history?: JobHistory;
  /** Running jobs taken over from a leader that is gone: known from the start, with the figures their records keep. */
  adopted?: readonly Pick<JobRecord, "submission" | "figures">[];
}

interface MonitorContext extends MonitorInput {
  view: ClusterView;
}

export type MonitorEvent = { type: "OBSERVED"; message: ControlMessage } | { type: "QUERY"; query: MonitorQuery; reply?: string };

/** What the monitor watches, by subject. */
const WATCHED: readonly [string, readonly MessageType[]][] = [
  [subjects.submitJob(), ["submit-job"]],
  [subjects.everyJob("status"), ["job-status"]],
  [subjects.everyJob("tasks"), ["task-state"]],
  [subjects.everyJob("metrics"), ["task-metrics"]],
  [subjects.everyJob("checkpoint.control"), ["trigger-checkpoint", "checkpoint-notify"]],
  [subjects.everyJob("checkpoint.acks"), ["checkpoint-ack", "checkpoint-decline", "end-of-data"]],
  [subjects.registerWorker(), ["register-worker"]],
  [subjects.heartbeat(), ["heartbeat"]],
  [subjects.unregisterWorker(), ["unregister-worker"]],
  [subjects.workerLost(), ["worker-lost"]],
];

const inbox = fromCallback<MonitorEvent, ActorDeps>(({ input: deps, sendBack }) => {
  const subs = WATCHED.map(([subject, types]) => listen(deps, "monitor", subject, types, (message) => sendBack({ type: "OBSERVED", message: message as ControlMessage })));
  subs.push(listen(deps, "monitor", subjects.monitorQuery(), ["monitor-query"], (query, reply) => sendBack({ type: "QUERY", query, reply })));
  return () => subs.forEach((s) => s.unsubscribe());
});

const loadHistory = fromPromise<JobDetails[], JobHistory | undefined>(async ({ input }) => (input ? input.load() : []));

export const monitorMachine = setup({
  types: { input: {} as MonitorInput, context: {} as MonitorContext, events: {} as MonitorEvent },
  actors: { inbox, loadHistory },
  actions: {
    /**
     * A job that has just ended goes to the history, and again with the final figures its workers
     * report after the end (I/O, not awaited: a failure is logged).
     */
    archiveEnded: ({ context, event }) => {
      if (event.type !== "OBSERVED" || !context.history) return;
      const { message } = event;
      if (message.type !== "job-status" && message.type !== "task-metrics") return;
      const { jobId } = message;
      if (!context.view.hasEnded(jobId)) return;
      const details = context.view.job(jobId, context.deps.clock.now());
      if (details) context.history.save(details).catch((error: Error) => context.deps.log.warn({ err: error, jobId }, "could not save the job to the job history"));
    },
    /** The view is a fold owned by this actor alone, updated in place (the same object for every query). */
    observe: ({ context, event }) => {
      if (event.type === "OBSERVED") context.view.apply(event.message, context.deps.clock.now());
    },
    answer: ({ context, event }) => {
      if (event.type !== "QUERY" || !event.reply) return;
      const { query } = event;
      const now = context.deps.clock.now();
      const { view } = context;
      switch (query.what) {
        case "overview":
          return send(context.deps, event.reply, { type: "monitor-reply", body: view.overview() });
        case "workers":
          return send(context.deps, event.reply, { type: "monitor-reply", body: { workers: view.workers() } });
        case "jobs":
          return send(context.deps, event.reply, { type: "monitor-reply", body: { jobs: view.jobs(now) } });
        case "job": {
          const job = query.jobId === undefined ? undefined : view.job(query.jobId, now);
          if (job) return send(context.deps, event.reply, { type: "monitor-reply", body: job });
          return send(context.deps, event.reply, { type: "monitor-reply", unknownJob: true, error: `no job ${query.jobId ?? "(no id given)"} is known to the job manager` });
        }
      }
    },
  },
}).createMachine({
  id: "monitor",
  context: ({ input }) => {
    const view = new ClusterView(input.version);
    for (const { submission, figures } of input.adopted ?? []) view.adopt(submission, figures, input.deps.clock.now());
    return { ...input, view };
  },
  invoke: { src: "inbox", input: ({ context }) => context.deps },
  on: { OBSERVED: { actions: ["observe", "archiveEnded"] }, QUERY: { actions: "answer" } },
  initial: "loading",
  states: {
    loading: {
      invoke: {
        src: "loadHistory",
        input: ({ context }) => context.history,
        onDone: { target: "watching", actions: ({ context, event }) => context.view.restore(event.output) },
        onError: { target: "watching", actions: ({ context, event }) => context.deps.log.warn({ err: event.error }, "could not load the job history; listing only jobs seen from now on") },
      },
    },
    watching: {},
  },
});
