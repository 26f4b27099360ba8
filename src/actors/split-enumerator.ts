// The split enumerator actor (Flink's SourceCoordinator): one per source vertex with an enumerator
// and execution of the job, a child of its job master. Runs the user's SplitEnumerator one call at a
// time; its bookkeeping (which reader execution counts, numbered messages, splits handed out since
// the latest completed checkpoint) is the pure module coordinator/split-assignment.ts.
// Receives reader-registration, split-request and reader-event (bound to the reader's attempt by
// its channel token); sends split-assignment, no-more-splits and enumerator-event to one reader.
// The job master sends it SNAPSHOT (synchronously, as a checkpoint is triggered), CHECKPOINT_COMPLETE
// and READERS_RESTARTED; it reports ENUMERATOR_FAILED when the user's enumerator throws.
//
//   running ──the enumerator throws / its async work fails──▶ failed (reported; waits to be stopped)

import { assign, fromCallback, sendParent, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import { channelToken } from "../messages/deployment-binding.ts";
import type { JobVertexSpec, ReaderToEnumerator } from "../messages/schema.ts";
import { Rejections } from "../messages/rejections.ts";
import type { Source, SplitEnumerator } from "../operators/source.ts";
import {
  initialAssignment,
  onCheckpointComplete,
  onCommands,
  onReaderMessage,
  onReadersRestarted,
  onSnapshot,
  type EnumeratorCall,
  type SplitAssignmentState,
} from "../coordinator/split-assignment.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";
import { EnumeratorHost } from "./enumerator-host.ts";

export interface SplitEnumeratorInput {
  deps: ActorDeps;
  jobId: string;
  /** The job's secret: reader messages carry their attempt's channel token, derived from it. */
  secret: string;
  vertex: JobVertexSpec;
  source: Source<unknown>;
  /** The attempt the source's readers are deployed as. */
  attempt: number;
  /** The enumerator's state in the checkpoint or savepoint restored. */
  restoredState?: unknown;
}

/** The enumerator's state taken for one checkpoint. */
export interface EnumeratorSnapshot {
  checkpointId: number;
  state: unknown;
}

export interface SplitEnumeratorContext {
  deps: ActorDeps;
  jobId: string;
  vertexId: string;
  secret: string;
  host: EnumeratorHost;
  enumerator?: SplitEnumerator;
  assignment: SplitAssignmentState;
  /** The state taken at the latest SNAPSHOT, read by the job master right after sending it. */
  snapshot?: EnumeratorSnapshot;
}

export type SplitEnumeratorEvent =
  | { type: "READER_MESSAGE"; message: ReaderToEnumerator }
  | { type: "ASYNC_DONE"; id: number }
  | { type: "ASYNC_FAILED"; error: string; unrecoverable: boolean }
  | { type: "SNAPSHOT"; checkpointId: number }
  | { type: "CHECKPOINT_COMPLETE"; checkpointId: number }
  | { type: "READERS_RESTARTED"; attempt: number };

/** What the enumerator tells its job master. */
export type SplitEnumeratorReport = { type: "ENUMERATOR_FAILED"; vertexId: string; reason: string; unrecoverable: boolean };

/** Reader messages of this source, checked against the job, the vertex and the sender's channel token. */
const inbox = fromCallback<SplitEnumeratorEvent, { deps: ActorDeps; jobId: string; vertexId: string; secret: string }>(({ input, sendBack }) => {
  const { deps, jobId, vertexId, secret } = input;
  const endpoint = `split-enumerator ${jobId} ${vertexId}`;
  const rejections = new Rejections(deps.metrics, deps.log, endpoint);
  const sub = listen(deps, endpoint, subjects.splitRequests(jobId, vertexId), ["reader-registration", "split-request", "reader-event"], (message, _reply, context) => {
    const { task } = message;
    if (task.jobId !== jobId || task.vertexId !== vertexId) rejections.reject({ reason: "invalid", detail: `a ${message.type} for ${task.jobId}/${task.vertexId}` }, context);
    else if (message.token !== channelToken(secret, task.attempt)) rejections.reject({ reason: "wrong-deployment", detail: `a ${message.type} from reader ${task.subtaskIndex} without its attempt's channel token` }, context);
    else sendBack({ type: "READER_MESSAGE", message });
  });
  return () => sub.unsubscribe();
});

/** Closes the user's enumerator and its timers when the actor stops. */
const lifetime = fromCallback<SplitEnumeratorEvent, { host: EnumeratorHost }>(({ input }) => () => input.host.close());

export const splitEnumeratorMachine = setup({
  types: { input: {} as SplitEnumeratorInput, context: {} as SplitEnumeratorContext, events: {} as SplitEnumeratorEvent },
  actors: { inbox, lifetime },
  actions: {
    /** Creates the user's enumerator (fresh or restored) and starts it. */
    start: assign(({ context }) => {
      const enumerator = context.host.create();
      if (enumerator === undefined) return {};
      return { enumerator, assignment: dispatch(context, context.assignment, () => enumerator.start()) };
    }),
    onReaderMessage: assign(({ context, event }) => {
      if (event.type !== "READER_MESSAGE") return {};
      const { task, type } = event.message;
      const step = onReaderMessage(context.assignment, { type, subtask: task.subtaskIndex, attempt: task.attempt, event: "event" in event.message ? event.message.event : undefined });
      if (step.outcome !== "accepted") context.deps.log.debug({ type, task, outcome: step.outcome }, "reader message not applied");
      return { assignment: perform(context, step.state, step.calls) };
    }),
    onAsyncDone: assign(({ context, event }) => {
      if (event.type !== "ASYNC_DONE") return {};
      return { assignment: dispatch(context, context.assignment, () => context.host.complete(event.id)) };
    }),
    snapshot: assign(({ context, event }) => {
      if (event.type !== "SNAPSHOT" || context.enumerator === undefined) return {};
      const { checkpointId } = event;
      const state = context.host.snapshot(context.enumerator, checkpointId);
      return { assignment: onSnapshot(context.assignment, checkpointId), snapshot: { checkpointId, state } };
    }),
    checkpointComplete: assign(({ context, event }) => (event.type === "CHECKPOINT_COMPLETE" ? { assignment: onCheckpointComplete(context.assignment, event.checkpointId) } : {})),
    restartReaders: assign(({ context, event }) => {
      if (event.type !== "READERS_RESTARTED") return {};
      const step = onReadersRestarted(context.assignment, context.assignment.readers.map((_, i) => i), event.attempt);
      context.deps.log.info({ vertexId: context.vertexId, attempt: event.attempt, splitsBack: step.calls.length }, "source readers restart: their splits since the last completed checkpoint go back to the enumerator");
      return { assignment: perform(context, step.state, step.calls) };
    }),
    reportFailure: sendParent(({ context, event }): SplitEnumeratorReport => {
      const reason = event.type === "ASYNC_FAILED" ? event.error : (context.host.failure ?? "the split enumerator failed");
      const unrecoverable = event.type === "ASYNC_FAILED" ? event.unrecoverable : context.host.unrecoverable;
      return { type: "ENUMERATOR_FAILED", vertexId: context.vertexId, reason: `the split enumerator of ${context.vertexId} failed: ${reason}`, unrecoverable };
    }),
  },
  guards: {
    failed: ({ context }) => context.host.failure !== undefined,
  },
}).createMachine({
  id: "split-enumerator",
  context: ({ input, self }) => ({
    deps: input.deps,
    jobId: input.jobId,
    vertexId: input.vertex.id,
    secret: input.secret,
    host: new EnumeratorHost({ source: input.source, parallelism: input.vertex.parallelism, clock: input.deps.clock, restoredState: input.restoredState, self }),
    assignment: initialAssignment(input.vertex.parallelism, input.attempt),
  }),
  invoke: [
    { src: "inbox", input: ({ context }) => ({ deps: context.deps, jobId: context.jobId, vertexId: context.vertexId, secret: context.secret }) },
    { src: "lifetime", input: ({ context }) => ({ host: context.host }) },
  ],
  initial: "running",
  states: {
    running: {
      entry: "start",
      always: { guard: "failed", target: "failed" },
      on: {
        READER_MESSAGE: { actions: "onReaderMessage" },
        ASYNC_DONE: { actions: "onAsyncDone" },
        ASYNC_FAILED: { target: "failed" },
        SNAPSHOT: { actions: "snapshot" },
        CHECKPOINT_COMPLETE: { actions: "checkpointComplete" },
        READERS_RESTARTED: { actions: "restartReaders" },
      },
    },
    failed: { entry: "reportFailure" },
  },
});

/** Makes the calls on the user's enumerator, in order, and sends what it asked for. */
function perform(context: SplitEnumeratorContext, state: SplitAssignmentState, calls: readonly EnumeratorCall[]): SplitAssignmentState {
  const enumerator = context.enumerator;
  if (enumerator === undefined) return state;
  let next = state;
  for (const call of calls) {
    next = dispatch(context, next, () => {
      switch (call.kind) {
        case "addReader":
          return enumerator.addReader(call.subtask);
        case "handleSplitRequest":
          return enumerator.handleSplitRequest(call.subtask);
        case "handleSourceEvent":
          return enumerator.handleSourceEvent?.(call.subtask, call.event);
        case "addSplitsBack":
          return enumerator.addSplitsBack(call.splits, call.subtask);
      }
    });
  }
  return next;
}

/** Runs one call of the user's code and publishes the messages its commands become. */
function dispatch(context: SplitEnumeratorContext, state: SplitAssignmentState, call: () => void): SplitAssignmentState {
  const commands = context.host.collect(state, call);
  if (commands.length === 0) return state;
  const step = onCommands(state, commands);
  const { jobId, vertexId, secret } = context;
  for (const notice of step.notices) {
    const { subtask, attempt, seq } = notice;
    const task = { jobId, vertexId, subtaskIndex: subtask, attempt };
    const header = { task, token: channelToken(secret, attempt), seq };
    const subject = subjects.splitsToReader(jobId, vertexId, attempt, subtask);
    if (notice.type === "split-assignment") send(context.deps, subject, { type: "split-assignment", ...header, splits: notice.splits });
    else if (notice.type === "no-more-splits") send(context.deps, subject, { type: "no-more-splits", ...header });
    else send(context.deps, subject, { type: "enumerator-event", ...header, event: notice.event });
  }
  return step.state;
}
