// The dispatcher actor: accepts job submissions and starts one job master per job.
// Receives submit-job (request/reply); replies submit-job-reply; spawns job-master children.

import { assign, fromCallback, setup, stopChild, type ActorRefFrom } from "xstate";
import { subjects } from "../bus/subjects.ts";
import { busFor } from "../bus/trace.ts";
import type { SubmitJob } from "../messages/schema.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";
import { jobMasterMachine } from "./job-master.ts";

export interface DispatcherInput {
  deps: ActorDeps;
  slotRequestTimeoutMs?: number;
  /** Returns the logger for one job's master (child of the process logger, with jobId). */
  jobLogger?: (jobId: string) => ActorDeps["log"];
}

interface DispatcherContext extends DispatcherInput {
  jobs: Record<string, ActorRefFrom<typeof jobMasterMachine>>;
}

export type DispatcherEvent = { type: "SUBMIT"; message: SubmitJob; reply?: string } | { type: "JOB_ENDED"; jobId: string };

const inbox = fromCallback<DispatcherEvent, ActorDeps>(({ input: deps, sendBack }) => {
  const sub = listen(deps, "dispatcher", subjects.submitJob(), ["submit-job"], (message, reply) => sendBack({ type: "SUBMIT", message, reply }));
  return () => sub.unsubscribe();
});

export const dispatcherMachine = setup({
  types: { input: {} as DispatcherInput, context: {} as DispatcherContext, events: {} as DispatcherEvent },
  actors: { inbox, jobMaster: jobMasterMachine },
  guards: {
    isDuplicate: ({ context, event }) => event.type === "SUBMIT" && event.message.jobId in context.jobs,
  },
}).createMachine({
  id: "dispatcher",
  context: ({ input }) => ({ ...input, jobs: {} }),
  invoke: { src: "inbox", input: ({ context }) => context.deps },
  on: {
    SUBMIT: [
      {
        guard: "isDuplicate",
        actions: ({ context, event }) => {
          if (event.reply) send(context.deps, event.reply, { type: "submit-job-reply", jobId: event.message.jobId, accepted: false, error: "a job with this id is already running" });
        },
      },
      {
        actions: assign({
          jobs: ({ context, event, spawn, self }) => {
            const { jobId } = event.message;
            const log = context.jobLogger?.(jobId) ?? context.deps.log.child({ jobId });
            const ref = spawn("jobMaster", {
              id: `job-${jobId}`,
              input: { deps: { ...context.deps, bus: busFor(context.deps.bus, `job-master/${jobId}`), log }, submission: event.message, slotRequestTimeoutMs: context.slotRequestTimeoutMs },
            });
            ref.subscribe({ complete: () => self.send({ type: "JOB_ENDED", jobId }) });
            log.info({ jobName: event.message.jobGraph.jobName, vertices: event.message.jobGraph.vertices.length }, "job submitted");
            if (event.reply) send(context.deps, event.reply, { type: "submit-job-reply", jobId, accepted: true });
            return { ...context.jobs, [jobId]: ref };
          },
        }),
      },
    ],
    JOB_ENDED: {
      actions: [
        stopChild(({ event }) => `job-${event.jobId}`),
        assign({ jobs: ({ context, event }) => Object.fromEntries(Object.entries(context.jobs).filter(([id]) => id !== event.jobId)) }),
      ],
    },
  },
});
