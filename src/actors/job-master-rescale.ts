// The job master's rescaling effects. A requested rescale (`weir rescale <job> -p N`) is checked
// (coordinator/rescale-plan.ts), the job graph rebuilt from the job's code at the new parallelism,
// the extra slots reserved, and the job stopped with a savepoint; the job master then deploys the
// new graph from it (a new attempt of the same job). In reactive mode (`weir jobmanager
// --reactive`) the job runs at the parallelism of the slots there are: it asks for what it may
// use whenever it is scheduled, and for more once workers that joined have settled.

import { fromCallback, fromPromise } from "xstate";
import { NoRespondersError } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { buildJobGraph, requiredSlots } from "../graph/job-graph.ts";
import { decode, encode } from "../messages/codec.ts";
import type { SlotGrant, SlotsReply, SubmitJob } from "../messages/schema.ts";
import { fittingParallelism, fixedVertices, grownParallelism, maxParallelismOf, notEnoughSlots, parallelismOf, rescaleProblem } from "../coordinator/rescale-plan.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import { requestSavepoint } from "./job-savepoint.ts";
import { parseCheckpointStorage } from "../checkpoint/storage-spec.ts";
import type { ActorDeps } from "./actor-deps.ts";
import type { JobLoader } from "./subtask.ts";

/** What the rescaler and the reactive effects tell the job master. */
export type RescaleEvent =
  | { type: "RESCALE_REQUEST"; parallelism: number; savepointDir?: string; reply?: string }
  /** Checked, rebuilt, slots reserved: the savepoint is being taken. */
  | { type: "RESCALE_PLANNED"; next: SubmitJob; reply?: string; fixed: string[] }
  | { type: "RESCALE_REFUSED"; error: string; reply?: string }
  | { type: "RESCALE_FAILED"; error: string }
  /** Reactive: more slots were granted; the job grows from its latest checkpoint. */
  | { type: "REACTIVE_GROW"; next: SubmitJob; granted: number };

/** The job's code as a stream graph, from which it is rebuilt at another parallelism. */
async function streamGraphOf(submission: SubmitJob, loadJob: JobLoader | undefined): Promise<StreamGraph> {
  if (!loadJob) throw new Error(`job ${submission.jobId} cannot be rescaled by this job manager: it cannot load the job's code`);
  return loadJob({ task: { jobId: submission.jobId }, artifact: submission.artifact, jobGraph: submission.jobGraph });
}

/** The job at `parallelism`: its graph rebuilt from its code (non-parallel sources and operators with a parallelism of their own keep theirs). */
function rescaledTo(submission: SubmitJob, graph: StreamGraph, parallelism: number): SubmitJob {
  return { ...submission, jobGraph: buildJobGraph(graph, { ...submission.jobGraph.config, parallelism }) };
}

/** How many slots the job needs at each parallelism (rebuilding its graph). */
function slotsAtFor(submission: SubmitJob, graph: StreamGraph): (parallelism: number) => number {
  const cache = new Map<number, number>();
  return (p) => {
    let slots = cache.get(p);
    if (slots === undefined) {
      slots = requiredSlots(rescaledTo(submission, graph, p).jobGraph);
      cache.set(p, slots);
    }
    return slots;
  };
}

/** Asks the resource manager for `count` more slots for the job (`upTo`: as many as there are, up to count). */
async function askSlots(deps: ActorDeps, jobId: string, count: number, upTo = false): Promise<SlotsReply> {
  try {
    const reply = decode(await deps.bus.request(subjects.requestSlots(), encode({ type: "request-slots", jobId, count, upTo }), { timeoutMs: 5000 }), ["slots-reply"]);
    if (!reply.ok) throw new Error(`bad slots reply: ${reply.detail}`);
    return reply.message;
  } catch (error) {
    if (error instanceof NoRespondersError) throw new Error("no resource manager is running");
    throw error;
  }
}

/** Where a rescale's savepoint goes: the directory asked for, else under the job's checkpoint directory. */
function savepointDirFor(submission: SubmitJob, asked: string | undefined): string {
  if (asked) return asked;
  const spec = submission.jobGraph.config.checkpointing?.storage;
  const storage = spec === undefined ? undefined : parseCheckpointStorage(spec);
  if (storage?.kind === "directory") return `${storage.path.replace(/\/$/, "")}/${submission.jobId}/rescale-savepoints`;
  throw new Error(`cannot rescale job ${submission.jobId} without a savepoint directory: its checkpoints are not kept in a directory; give --savepoint-dir <absolute dir every worker can reach>`);
}

/**
 * A requested rescale, from the check to the savepoint: RESCALE_REFUSED (the job runs on as it
 * was), or RESCALE_PLANNED then, if the savepoint fails, RESCALE_FAILED. The savepoint completing
 * reaches the job master from its checkpoint coordinator.
 */
export const rescaler = fromCallback<RescaleEvent, { deps: ActorDeps; submission: SubmitJob; parallelism: number; savepointDir?: string; reply?: string; loadJob?: JobLoader }>(({ input, sendBack }) => {
  const { deps, submission, parallelism, reply } = input;
  const { jobId } = submission;
  let stopped = false;
  let planned = false;
  const run = async () => {
    const problem = rescaleProblem(jobId, submission.jobGraph, parallelism);
    if (problem) throw new Error(problem);
    const dir = savepointDirFor(submission, input.savepointDir);
    const next = rescaledTo(submission, await streamGraphOf(submission, input.loadJob), parallelism);
    if (next.jobGraph.digest === submission.jobGraph.digest) throw new Error(`cannot rescale job ${jobId} to parallelism ${parallelism}: none of its operators can change its parallelism`);
    const needed = requiredSlots(next.jobGraph);
    const held = requiredSlots(submission.jobGraph);
    if (needed > held) {
      const outcome = await askSlots(deps, jobId, needed - held);
      if (outcome.error) throw new Error(notEnoughSlots(jobId, parallelism, needed, held, outcome.free ?? 0));
    }
    if (stopped) return;
    planned = true;
    sendBack({ type: "RESCALE_PLANNED", next, reply, fixed: fixedVertices(submission.jobGraph, next.jobGraph) });
    await requestSavepoint(deps.bus, jobId, dir, "terminate");
  };
  run().catch((error: Error) => {
    if (stopped) return;
    sendBack(planned ? { type: "RESCALE_FAILED", error: `the rescale of job ${jobId} failed: its savepoint failed: ${error.message}` } : { type: "RESCALE_REFUSED", error: error.message, reply });
  });
  return () => {
    stopped = true;
  };
});

/** Reactive mode: asks for `ask` more slots, and says (REACTIVE_GROW) whether the job can grow with what it got. */
export const reactiveGrower = fromCallback<RescaleEvent, { deps: ActorDeps; submission: SubmitJob; loadJob?: JobLoader }>(({ input, sendBack }) => {
  const { deps, submission } = input;
  let stopped = false;
  const run = async () => {
    const graph = await streamGraphOf(submission, input.loadJob);
    const slotsAt = slotsAtFor(submission, graph);
    const job = { parallelism: parallelismOf(submission.jobGraph), upper: maxParallelismOf(submission.jobGraph), slotsAt };
    const ask = slotsAt(job.upper) - slotsAt(job.parallelism);
    if (ask <= 0) return;
    const outcome = await askSlots(deps, submission.jobId, ask, true);
    if (outcome.error || stopped) return;
    const target = grownParallelism(job, outcome.slots.length);
    if (target !== undefined) sendBack({ type: "REACTIVE_GROW", next: rescaledTo(submission, graph, target), granted: outcome.slots.length });
  };
  run().catch((error: Error) => deps.log.warn({ err: error }, "reactive mode: could not look for more slots"));
  return () => {
    stopped = true;
  };
});

/** How often a reactive job without a slot asks again. */
const REACTIVE_RETRY_MS = 250;

/**
 * Reactive scheduling: the job takes the slots there are (up to what its max parallelism can use)
 * and runs at the highest parallelism they fit; with none, it waits for a worker until the timeout.
 */
export const reactiveSlots = fromPromise<{ slots: SlotGrant[]; submission: SubmitJob }, { deps: ActorDeps; submission: SubmitJob; timeoutMs: number; loadJob?: JobLoader }>(async ({ input, signal }) => {
  const { deps, submission } = input;
  const graph = await streamGraphOf(submission, input.loadJob);
  const slotsAt = slotsAtFor(submission, graph);
  const upper = maxParallelismOf(submission.jobGraph);
  const deadline = deps.clock.now() + input.timeoutMs;
  let lastError = "the resource manager did not answer";
  while (!signal.aborted) {
    try {
      const outcome = await askSlots(deps, submission.jobId, slotsAt(upper), true);
      if (!outcome.error) {
        const parallelism = fittingParallelism(outcome.slots.length, upper, slotsAt);
        const next = parallelism === parallelismOf(submission.jobGraph) ? submission : rescaledTo(submission, graph, parallelism);
        return { slots: outcome.slots.slice(0, slotsAt(parallelism)), submission: next };
      }
      lastError = outcome.error;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (deps.clock.now() >= deadline) break;
    await new Promise<void>((resolve) => deps.clock.setTimeout(() => resolve(), REACTIVE_RETRY_MS));
  }
  throw new Error(`could not get a slot within ${input.timeoutMs} ms: ${lastError}`);
});
