// The job master's view of its subtasks' states, as pure functions. Applying a report returns an
// explicit outcome rather than a boolean: updated, stale (an old attempt) or unknown.

import type { SubtaskId, TaskState } from "../messages/schema.ts";
import type { Deployment } from "./execution-plan.ts";

export type TaskTracker = Readonly<Record<string, TrackedTask>>;

export interface TrackedTask {
  deployment: Deployment;
  state: TaskState;
  /** When the job master first saw it deployed and not yet heard from (its reconcile tick's time). */
  unacknowledgedSince?: number;
}

export type TaskReportOutcome = "updated" | "stale" | "unknown" | "ignored";

const TERMINAL: ReadonlySet<TaskState> = new Set(["finished", "canceled", "failed"]);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL.has(state);
}

export function trackerKey(task: Pick<SubtaskId, "vertexId" | "subtaskIndex">): string {
  return `${task.vertexId}#${task.subtaskIndex}`;
}

export function createTracker(deployments: readonly Deployment[]): TaskTracker {
  return Object.fromEntries(deployments.map((d) => [trackerKey(d.task), { deployment: d, state: "created" as TaskState }]));
}

export function applyTaskReport(tracker: TaskTracker, task: SubtaskId, state: TaskState): { tracker: TaskTracker; outcome: TaskReportOutcome } {
  const entry = tracker[trackerKey(task)];
  if (!entry) return { tracker, outcome: "unknown" };
  if (entry.deployment.task.attempt !== task.attempt) return { tracker, outcome: "stale" };
  if (isTerminal(entry.state)) return { tracker, outcome: "ignored" };
  return { tracker: { ...tracker, [trackerKey(task)]: { ...entry, state } }, outcome: "updated" };
}

/** Marks every non-terminal task on a lost worker as failed. */
export function failTasksOn(tracker: TaskTracker, workerId: string): TaskTracker {
  const next: Record<string, TrackedTask> = {};
  for (const [key, entry] of Object.entries(tracker)) {
    next[key] = entry.deployment.workerId === workerId && !isTerminal(entry.state) ? { ...entry, state: "failed" } : entry;
  }
  return next;
}

export const allInState = (tracker: TaskTracker, states: readonly TaskState[]): boolean =>
  Object.values(tracker).every((e) => states.includes(e.state));

export const anyInState = (tracker: TaskTracker, state: TaskState): boolean => Object.values(tracker).some((e) => e.state === state);

export const allTerminal = (tracker: TaskTracker): boolean => Object.values(tracker).every((e) => isTerminal(e.state));

export const nonTerminal = (tracker: TaskTracker): Deployment[] =>
  Object.values(tracker)
    .filter((e) => !isTerminal(e.state))
    .map((e) => e.deployment);

/**
 * The workers that have not acknowledged a subtask deployed there (it is still "created": no
 * task-state, no heartbeat naming it) for `timeoutMs`. Stamps each created subtask with the first
 * tick that found it so, and returns the tracker with the stamps.
 * @example
 * overdueDeploys(tracker, 1_000, 10_000);  // stamps: { workers: [] }
 * overdueDeploys(stamped, 11_000, 10_000); // { workers: ["w-2"] } when w-2 never answered
 */
export function overdueDeploys(tracker: TaskTracker, now: number, timeoutMs: number): { tracker: TaskTracker; workers: string[] } {
  const next: Record<string, TrackedTask> = {};
  const workers = new Set<string>();
  let stamped = false;
  for (const [key, entry] of Object.entries(tracker)) {
    if (entry.state !== "created") {
      next[key] = entry;
      continue;
    }
    const since = entry.unacknowledgedSince ?? now;
    if (entry.unacknowledgedSince === undefined) stamped = true;
    next[key] = entry.unacknowledgedSince === undefined ? { ...entry, unacknowledgedSince: now } : entry;
    if (now - since >= timeoutMs) workers.add(entry.deployment.workerId);
  }
  return { tracker: stamped ? next : tracker, workers: [...workers].sort() };
}
