// When and to what parallelism a job is rescaled: the checks of a requested rescale (`weir rescale
// <job> -p N`) and the decisions of reactive mode (a job runs at the parallelism of the slots there
// are, capped by its max parallelism). Pure: the job master feeds it what it knows and carries out
// what it decides; tests feed it traces.

import type { JobGraphSpec } from "../messages/schema.ts";

/** The highest parallelism a job can run at: the lowest max parallelism (key groups) among its vertices. */
export function maxParallelismOf(jobGraph: JobGraphSpec): number {
  return Math.min(...jobGraph.vertices.map((v) => v.maxParallelism));
}

/** The job's parallelism as people see it: its config's default, which every vertex without one of its own follows. */
export function parallelismOf(jobGraph: JobGraphSpec): number {
  return jobGraph.config.parallelism;
}

/**
 * Why the job cannot be rescaled to `parallelism`, or undefined when it can. Checked before the
 * job master takes a savepoint, so a refused rescale leaves the job running as it was.
 */
export function rescaleProblem(jobId: string, jobGraph: JobGraphSpec, parallelism: number): string | undefined {
  const what = `cannot rescale job ${jobId} to parallelism ${parallelism}`;
  if (!Number.isInteger(parallelism) || parallelism < 1) return `${what}: the parallelism must be a positive integer (-p N)`;
  const max = maxParallelismOf(jobGraph);
  if (parallelism > max) {
    // Name a keyed vertex at that max when there is one: its key groups are what the limit is about.
    const atMax = jobGraph.vertices.filter((v) => v.maxParallelism === max);
    const keyed = atMax.find((v) => jobGraph.edges.some((e) => e.target === v.id && e.partitioner.kind === "hash"));
    const why = keyed ? `its keyed state is split into ${max} key groups` : `it may have at most ${max} subtasks`;
    return `${what}: it is above the max parallelism ${max} of ${(keyed ?? atMax[0]).name} (${why}); choose -p ${max} or less, or start the job with a higher setMaxParallelism()`;
  }
  if (jobGraph.config.checkpointing === undefined) return `${what}: it runs without checkpointing, so a new execution could not continue where this one stops; enable checkpointing (env.enableCheckpointing(ms))`;
  if (parallelism === parallelismOf(jobGraph)) return `${what}: it already runs at parallelism ${parallelism}`;
  return undefined;
}

/**
 * The vertices whose parallelism a rescale leaves as it is (non-parallel sources, operators with a
 * setParallelism() of their own), by name: `weir rescale` says so.
 */
export function fixedVertices(before: JobGraphSpec, after: JobGraphSpec): string[] {
  const afterById = new Map(after.vertices.map((v) => [v.nodes[0], v]));
  return before.vertices.filter((v) => afterById.get(v.nodes[0])?.parallelism === v.parallelism).map((v) => `${v.name} (${v.parallelism})`);
}

/** The message for a rescale that needs more slots than the cluster has for it. */
export function notEnoughSlots(jobId: string, parallelism: number, needed: number, held: number, free: number): string {
  return `cannot rescale job ${jobId} to parallelism ${parallelism}: it needs ${needed} slot${needed === 1 ? "" : "s"}, found ${held + free} (${held} of its own and ${free} free); start more workers (weir worker --slots N) or choose a lower -p`;
}

// ---------------------------------------------------------------- reactive mode

/** How long after the last worker joined a reactive job waits before it grows: workers starting together cause one rescale. */
export const REACTIVE_DEBOUNCE_MS = 2000;

/** What a reactive job master remembers between decisions. */
export interface ReactiveState {
  /** Set when a worker joined: the job looks for more slots once this time has passed without another joining. */
  settleAt?: number;
}

export const reactiveIdle: ReactiveState = {};

/** A worker joined at `now`: the job waits for the cluster to settle (each further join restarts the wait). */
export function workerJoined(_state: ReactiveState, now: number, debounceMs = REACTIVE_DEBOUNCE_MS): ReactiveState {
  return { settleAt: now + debounceMs };
}

/**
 * At a tick: whether the job should look for more slots now (once, after the workers that joined
 * have settled), given its parallelism and the highest it may run at.
 */
export function reactiveTick(state: ReactiveState, now: number, job: { parallelism: number; upper: number }): { state: ReactiveState; look: boolean } {
  if (state.settleAt === undefined || now < state.settleAt) return { state, look: false };
  return { state: reactiveIdle, look: job.parallelism < job.upper };
}

/**
 * The parallelism a reactive job runs at with `slots` slots: the highest p ≤ upper whose slots fit,
 * or 0 when not even parallelism 1 fits.
 */
export function fittingParallelism(slots: number, upper: number, slotsAt: (parallelism: number) => number): number {
  for (let p = Math.min(upper, slots); p >= 1; p--) if (slotsAt(p) <= slots) return p;
  return 0;
}

/** After asking for `ask` more slots and getting `granted`: the parallelism to grow to, or undefined to stay. */
export function grownParallelism(job: { parallelism: number; upper: number; slotsAt: (parallelism: number) => number }, granted: number): number | undefined {
  const target = fittingParallelism(job.slotsAt(job.parallelism) + granted, job.upper, job.slotsAt);
  return target > job.parallelism ? target : undefined;
}
