// A job master taking a job over from a leader that is gone: the subtasks of the old execution,
// as their workers announce them with every heartbeat, are told to stop (cancel-task, with this
// leader's epoch) and followed until they have ended; then the job deploys again, restoring its
// latest completed checkpoint. The job master machine calls these in its `reclaiming` state.

import { subjects } from "../bus/subjects.ts";
import type { CheckpointMetadata } from "../checkpoint/checkpoint-metadata.ts";
import { loadMetadata, type CheckpointStorage } from "../checkpoint/checkpoint-storage.ts";
import type { JobRecord } from "../coordinator/job-record.ts";
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

/**
 * The latest completed checkpoint of a job taken over: the newest the storage holds, or the one its
 * record points to if the storage has none as new. The record may lag behind: while JetStream did
 * not answer (a NATS server restarting), the old leader went on completing checkpoints and
 * discarding old ones, the record's among them, without writing the record again.
 */
export async function takeoverCheckpoint(deps: ActorDeps, storage: CheckpointStorage, record: JobRecord): Promise<{ location: string; metadata: CheckpointMetadata } | undefined> {
  const { jobId } = record.submission;
  if (storage.spec.kind === "jobmanager") {
    if (!record.checkpoint) return undefined;
    throw new Error(
      `job ${jobId} cannot be taken over from its checkpoint ${record.checkpoint.id}: it lived in the memory of the job manager that is gone. With several job managers, configure env.getCheckpointConfig().setCheckpointStorage('file:///…') or 'object-store://…'`,
    );
  }
  const stored = await storage.latest(jobId).catch((error: Error) => {
    deps.log.warn({ err: error, jobId }, "could not look for a later checkpoint than the job's record names");
    return undefined;
  });
  if (stored && (!record.checkpoint || stored.metadata.checkpointId >= record.checkpoint.id)) return stored;
  if (!record.checkpoint) return undefined;
  return { location: record.checkpoint.location, metadata: await loadMetadata(record.checkpoint.location, { nats: deps.nats }) };
}
