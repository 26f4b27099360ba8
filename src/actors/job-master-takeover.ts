// A job master taking a job over from a leader that is gone: the subtasks of the old execution,
// as their workers announce them with every heartbeat, are told to stop (cancel-task, with this
// leader's epoch) and followed until they have ended; then the job deploys again, restoring its
// latest completed checkpoint. The job master machine calls these in its `reclaiming` state.

import { subjects } from "../bus/subjects.ts";
import { isTerminal } from "../coordinator/task-tracker.ts";
import type { SubtaskId, TaskState } from "../messages/schema.ts";
import { send, taskKey, type ActorDeps } from "./actor-deps.ts";

/** How long to listen for the old execution's subtasks (workers announce them every heartbeat) before deploying (ms). */
export const RECLAIM_QUIET_MS = 2500;
/** The longest wait for the old execution's subtasks to end before deploying anyway (ms). */
export const RECLAIM_LIMIT_MS = 15_000;

/** The old execution's subtasks heard of, by task key (attempt included). */
export type Leftovers = Readonly<Record<string, { task: SubtaskId; workerId: string; state: TaskState }>>;

/** Records an announced subtask of the old execution; the first time it is heard running, it is told to stop. */
export function noteLeftover(deps: ActorDeps, leftovers: Leftovers, task: SubtaskId, workerId: string, state: TaskState): Leftovers {
  const key = taskKey(task);
  const known = leftovers[key];
  if (!isTerminal(state) && known === undefined) send(deps, subjects.workerControl(workerId), { type: "cancel-task", task });
  if (known && isTerminal(known.state)) return leftovers;
  return { ...leftovers, [key]: { task, workerId, state } };
}

/** Tells every old subtask not known to have ended to stop, again (a cancel-task may be lost). */
export function cancelLeftovers(deps: ActorDeps, leftovers: Leftovers): void {
  for (const { task, workerId, state } of Object.values(leftovers)) {
    if (!isTerminal(state)) send(deps, subjects.workerControl(workerId), { type: "cancel-task", task });
  }
}

/** A lost worker's old subtasks are gone with it. */
export function leftoversLost(leftovers: Leftovers, workerId: string): Leftovers {
  return Object.fromEntries(Object.entries(leftovers).map(([key, l]) => [key, l.workerId === workerId && !isTerminal(l.state) ? { ...l, state: "failed" as const } : l]));
}

export function leftoversEnded(leftovers: Leftovers): boolean {
  return Object.values(leftovers).every((l) => isTerminal(l.state));
}

/** What the client and the monitor are told when a job is taken over. */
export function takeoverDetail(epoch: number | undefined, checkpointId: number | undefined): string {
  const by = `taken over by a new leading job manager${epoch === undefined ? "" : ` (leader epoch ${epoch})`}`;
  return checkpointId === undefined ? `${by}; no checkpoint had completed: starting again from the beginning` : `${by}; restoring checkpoint ${checkpointId}`;
}
