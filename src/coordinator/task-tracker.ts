// The job master's view of its subtasks' states, as pure functions. Applying a report returns an
// explicit outcome rather than a boolean: updated, stale (an old attempt) or unknown.

import type { SubtaskId, TaskState } from "../messages/schema.ts";
import type { Deployment } from "./execution-plan.ts";

export type TaskTracker = Readonly<Record<string, { deployment: Deployment; state: TaskState }>>;

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
  const next: Record<string, { deployment: Deployment; state: TaskState }> = {};
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
