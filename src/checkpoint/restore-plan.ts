// Which state each subtask of a job restores, from a completed checkpoint or a savepoint: pure.
// Operators are matched by uid; state left without an operator fails the restore unless
// allowNonRestoredState; keyed state needs an unchanged maxParallelism; a subtask that had
// finished is restored as finished (at an unchanged parallelism).

import type { JobGraphSpec, TaskRestore } from "../messages/schema.ts";
import type { CheckpointMetadata, SubtaskStateMetadata } from "./checkpoint-metadata.ts";
import { keyGroupRangeFor } from "../core/key-groups.ts";

export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreError";
  }
}

/** Key of a subtask of the new job: `${vertexId}#${subtaskIndex}` (as the task tracker's). */
export type RestorePlan = ReadonlyMap<string, TaskRestore>;

/**
 * Plans the restore of every subtask of `jobGraph` from `metadata`.
 * @example
 * const plan = planRestore(metadata, jobGraph, { allowNonRestoredState: false });
 * const restore = plan.get("v3#1"); // handed to that subtask's deploy-task
 */
export function planRestore(metadata: CheckpointMetadata, jobGraph: JobGraphSpec, options: { allowNonRestoredState: boolean }): RestorePlan {
  const newUids = new Map<string, { maxParallelism: number; parallelism: number }>();
  for (const vertex of jobGraph.vertices) for (const uid of vertex.operatorUids) newUids.set(uid, vertex);
  const withState = new Set(metadata.subtasks.filter((s) => s.handle !== undefined).flatMap((s) => s.operatorUids));
  const orphaned = [...withState].filter((uid) => !newUids.has(uid)).sort();
  if (orphaned.length > 0 && !options.allowNonRestoredState) {
    throw new RestoreError(
      `the ${metadata.kind} ${metadata.checkpointId} has state for operator(s) ${orphaned.map((u) => JSON.stringify(u)).join(", ")} that the job no longer has: ` +
        "give those operators the same uid() as before, or allow non-restored state (--allow-non-restored-state) to drop it",
    );
  }
  for (const operator of metadata.operators) {
    const now = newUids.get(operator.uid);
    if (now && withState.has(operator.uid) && now.maxParallelism !== operator.maxParallelism) {
      throw new RestoreError(
        `operator ${JSON.stringify(operator.uid)} ran with maxParallelism ${operator.maxParallelism} and now has ${now.maxParallelism}: keyed state is split into maxParallelism key groups, so it must stay the same`,
      );
    }
  }
  if (metadata.unaligned) {
    for (const operator of metadata.operators) {
      const now = newUids.get(operator.uid);
      if (now && now.parallelism !== operator.parallelism) {
        throw new RestoreError(
          `checkpoint ${metadata.checkpointId} is unaligned (it holds in-flight data per channel) and operator ${JSON.stringify(operator.uid)} ran at parallelism ${operator.parallelism}, now ${now.parallelism}: ` +
            "restore it at the same parallelism, or take a savepoint (always aligned) to rescale",
        );
      }
    }
  }
  const plan = new Map<string, TaskRestore>();
  for (const vertex of jobGraph.vertices) {
    const uids = new Set(vertex.operatorUids);
    const relevant = metadata.subtasks.filter((s) => s.operatorUids.some((uid) => uids.has(uid)));
    const operators = metadata.operators.filter((o) => uids.has(o.uid));
    const oldParallelism = new Map<string, number>();
    for (const s of relevant) oldParallelism.set(s.vertexId, Math.max(oldParallelism.get(s.vertexId) ?? 0, s.subtaskIndex + 1));
    for (let i = 0; i < vertex.parallelism; i++) {
      plan.set(`${vertex.id}#${i}`, {
        checkpointId: metadata.checkpointId,
        finished: finishedOnRestore(relevant, vertex.parallelism, i),
        operators,
        subtasks: relevant.filter((s) => s.handle !== undefined && isNeeded(s, oldParallelism.get(s.vertexId)!, i, vertex.parallelism, vertex.maxParallelism)),
      });
    }
  }
  return plan;
}

/**
 * Whether new subtask `index` must read old subtask `old`'s handle: union state goes to everyone;
 * at an unchanged parallelism each subtask reads its own; otherwise operator state and splits are
 * re-split among all, and keyed state is read where the key groups overlap.
 */
function isNeeded(old: SubtaskStateMetadata, oldParallelism: number, index: number, parallelism: number, maxParallelism: number): boolean {
  if (old.unionState) return true;
  if (oldParallelism === parallelism) return old.subtaskIndex === index;
  if (old.operatorState) return true;
  const mine = keyGroupRangeFor(index, parallelism, maxParallelism);
  const theirs = keyGroupRangeFor(old.subtaskIndex, oldParallelism, maxParallelism);
  return mine.start <= theirs.end && theirs.start <= mine.end;
}

/**
 * Whether new subtask `index` had finished. At an unchanged parallelism that is per subtask; at
 * another, only when every old subtask had finished — otherwise the operator runs again with the
 * state it had (a source subtask that had finished simply has no splits left to hand out).
 */
function finishedOnRestore(relevant: readonly SubtaskStateMetadata[], parallelism: number, index: number): boolean {
  const finished = relevant.filter((s) => s.finished);
  if (finished.length === 0) return false;
  const oldParallelism = new Set(relevant.map((s) => s.subtaskIndex)).size;
  if (oldParallelism === parallelism) return finished.some((s) => s.subtaskIndex === index);
  return finished.length === relevant.length;
}

/** Total inline bytes a restore carries (inline handles travel in the deploy message). */
export function inlineRestoreBytes(restore: TaskRestore): number {
  let bytes = 0;
  for (const s of restore.subtasks) if (s.handle?.kind === "inline") bytes += s.handle.bytes.length;
  return bytes;
}
