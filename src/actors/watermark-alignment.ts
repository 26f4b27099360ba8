// The watermark alignment coordinator (FLIP-182): one per alignment group and execution of the
// job, a child of its job master beside the split enumerators. Hears the watermark reports of the
// group's readers (bound to their attempt by the channel token), keeps the pure AlignmentGroup,
// and announces the group's bound when it changes and again every update interval (so a reader
// that missed one is not held for long).

import { assign, fromCallback, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import { AlignmentGroup } from "../core/watermark-alignment.ts";
import { channelToken } from "../messages/deployment-binding.ts";
import { Rejections } from "../messages/rejections.ts";
import type { SubmitJob, WatermarkReport } from "../messages/schema.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";

export interface AlignmentCoordinatorInput {
  deps: ActorDeps;
  jobId: string;
  secret: string;
  group: string;
  maxDriftMs: number;
  updateIntervalMs: number;
  /** The group's readers: "vertexId/subtaskIndex". */
  readers: string[];
}

export interface AlignmentContext extends AlignmentCoordinatorInput {
  state: AlignmentGroup;
}

export type AlignmentEvent = { type: "REPORT"; message: WatermarkReport } | { type: "TICK" };

/** The alignment groups of a job: each with its settings and readers. */
export function alignmentGroups(submission: SubmitJob): Omit<AlignmentCoordinatorInput, "deps" | "jobId" | "secret">[] {
  const groups = new Map<string, Omit<AlignmentCoordinatorInput, "deps" | "jobId" | "secret">>();
  for (const vertex of submission.jobGraph.vertices) {
    const a = vertex.watermarkAlignment;
    if (!vertex.isSource || !a) continue;
    const group = groups.get(a.group) ?? { group: a.group, maxDriftMs: a.maxDriftMs, updateIntervalMs: a.updateIntervalMs, readers: [] };
    // Sources of one group may disagree: the tightest settings win.
    group.maxDriftMs = Math.min(group.maxDriftMs, a.maxDriftMs);
    group.updateIntervalMs = Math.min(group.updateIntervalMs, a.updateIntervalMs);
    for (let i = 0; i < vertex.parallelism; i++) group.readers.push(`${vertex.id}/${i}`);
    groups.set(a.group, group);
  }
  return [...groups.values()];
}

/** The child actor id of a group's coordinator. */
export function alignmentCoordinatorId(group: string): string {
  return `watermark-alignment-${group}`;
}

const inbox = fromCallback<AlignmentEvent, AlignmentCoordinatorInput>(({ input, sendBack }) => {
  const { deps, jobId, secret, group } = input;
  const endpoint = `watermark-alignment ${jobId} ${group}`;
  const rejections = new Rejections(deps.metrics, deps.log, endpoint);
  const sub = listen(deps, endpoint, subjects.alignmentReports(jobId), ["watermark-report"], (message, _reply, context) => {
    if (message.group !== group) return; // another group's coordinator hears it
    if (message.task.jobId !== jobId) rejections.reject({ reason: "invalid", detail: `a watermark-report for job ${message.task.jobId}` }, context);
    else if (message.token !== channelToken(secret, message.task.attempt)) rejections.reject({ reason: "wrong-deployment", detail: `a watermark-report from ${message.task.vertexId}[${message.task.subtaskIndex}] without its attempt's channel token` }, context);
    else sendBack({ type: "REPORT", message });
  });
  const ticker = setInterval(() => sendBack({ type: "TICK" }), input.updateIntervalMs);
  return () => {
    clearInterval(ticker);
    sub.unsubscribe();
  };
});

function announce(context: AlignmentContext, bound: number): void {
  send(context.deps, subjects.alignmentBound(context.jobId, context.group), { type: "watermark-bound", jobId: context.jobId, group: context.group, maxAllowedWatermark: bound });
}

export const alignmentCoordinatorMachine = setup({
  types: { input: {} as AlignmentCoordinatorInput, context: {} as AlignmentContext, events: {} as AlignmentEvent },
  actors: { inbox },
  actions: {
    onReport: assign(({ context, event }) => {
      if (event.type !== "REPORT") return {};
      const { task, attempt = task.attempt, watermark, status } = { ...event.message, attempt: event.message.task.attempt };
      const outcome = context.state.report({ reader: `${task.vertexId}/${task.subtaskIndex}`, attempt, watermark, status });
      if (outcome.kind !== "accepted") context.deps.log.debug({ task, outcome: outcome.kind }, "watermark report not applied");
      else if (outcome.bound !== undefined) announce(context, outcome.bound);
      return {};
    }),
    tick: ({ context }) => announce(context, context.state.bound),
  },
}).createMachine({
  id: "watermark-alignment",
  context: ({ input }) => ({ ...input, state: new AlignmentGroup(input.group, input.maxDriftMs, input.readers) }),
  invoke: { src: "inbox", input: ({ context }) => context },
  on: { REPORT: { actions: "onReport" }, TICK: { actions: "tick" } },
});
