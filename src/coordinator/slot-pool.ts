// The resource manager's book of workers and slots, as pure functions over an immutable value.
// Decides which slots a job gets (spread over workers) and which workers have gone silent.

import type { SlotGrant } from "../messages/schema.ts";

export interface WorkerEntry {
  workerId: string;
  slots: number;
  lastHeartbeat: number;
  /** Liveness probes in a row that found nobody on the worker's ping subject. */
  unanswered?: number;
  /** slot index → job id */
  allocated: Readonly<Record<number, string>>;
}

export interface SlotPool {
  workers: Readonly<Record<string, WorkerEntry>>;
}

export const emptySlotPool: SlotPool = { workers: {} };

export function registerWorker(pool: SlotPool, workerId: string, slots: number, now: number): SlotPool {
  // A heartbeat or registration is an answer: unanswered probes start counting again.
  const { unanswered: _unanswered, ...existing } = pool.workers[workerId] ?? { workerId, allocated: {} };
  const entry: WorkerEntry = { ...existing, slots, lastHeartbeat: now };
  return { workers: { ...pool.workers, [workerId]: entry } };
}

/** A heartbeat from an unknown worker registers it: a restarted resource manager re-learns its workers. */
export function heartbeat(pool: SlotPool, workerId: string, slots: number, now: number): SlotPool {
  return registerWorker(pool, workerId, slots, now);
}

/** Removes a worker that is leaving, reporting the jobs that had slots on it. */
export function unregisterWorker(pool: SlotPool, workerId: string): { pool: SlotPool; lost?: LostWorker } {
  const entry = pool.workers[workerId];
  if (!entry) return { pool };
  const { [workerId]: _leaving, ...workers } = pool.workers;
  return { pool: { workers }, lost: { workerId, jobIds: [...new Set(Object.values(entry.allocated))].sort() } };
}

export function freeSlots(pool: SlotPool): number {
  let free = 0;
  for (const w of Object.values(pool.workers)) free += w.slots - Object.keys(w.allocated).length;
  return free;
}

export type AllocationOutcome = { kind: "allocated"; pool: SlotPool; slots: SlotGrant[] } | { kind: "insufficient"; free: number; workers: number };

/** Takes `count` free slots for `jobId`, each from the worker with the most free slots (ties: lowest id). */
export function allocateSlots(pool: SlotPool, jobId: string, count: number): AllocationOutcome {
  const free = freeSlots(pool);
  if (free < count) return { kind: "insufficient", free, workers: Object.keys(pool.workers).length };
  const workers = Object.fromEntries(Object.entries(pool.workers).map(([id, w]) => [id, { ...w, allocated: { ...w.allocated } }]));
  const slots: SlotGrant[] = [];
  for (let i = 0; i < count; i++) {
    const ranked = Object.values(workers)
      .map((w) => ({ w, free: w.slots - Object.keys(w.allocated).length }))
      .filter((x) => x.free > 0)
      .sort((a, b) => b.free - a.free || a.w.workerId.localeCompare(b.w.workerId));
    const worker = ranked[0].w;
    let slotIndex = 0;
    while (worker.allocated[slotIndex] !== undefined) slotIndex++;
    worker.allocated[slotIndex] = jobId;
    slots.push({ workerId: worker.workerId, slotIndex });
  }
  return { kind: "allocated", pool: { workers }, slots };
}

export function releaseSlots(pool: SlotPool, jobId: string): SlotPool {
  const workers: Record<string, WorkerEntry> = {};
  for (const [id, w] of Object.entries(pool.workers)) {
    workers[id] = { ...w, allocated: Object.fromEntries(Object.entries(w.allocated).filter(([, job]) => job !== jobId)) };
  }
  return { workers };
}

export interface LostWorker {
  workerId: string;
  jobIds: string[];
}

/** Probes that find nobody in a row before a worker is lost: one could fall in a reconnect. */
export const UNREACHABLE_PROBES = 2;

/**
 * A liveness probe of `workerId` came back: `reachable` when it answered, else nobody listens on
 * its ping subject (its connection is gone). After UNREACHABLE_PROBES such probes in a row it is lost.
 */
export function probed(pool: SlotPool, workerId: string, reachable: boolean): { pool: SlotPool; lost?: LostWorker } {
  const entry = pool.workers[workerId];
  if (!entry) return { pool };
  const unanswered = reachable ? 0 : (entry.unanswered ?? 0) + 1;
  if (unanswered < UNREACHABLE_PROBES) return { pool: { workers: { ...pool.workers, [workerId]: { ...entry, unanswered } } } };
  return unregisterWorker(pool, workerId);
}

/** Removes workers silent for longer than `timeoutMs`, reporting the jobs that had slots on them. */
export function expireWorkers(pool: SlotPool, now: number, timeoutMs: number): { pool: SlotPool; lost: LostWorker[] } {
  const workers: Record<string, WorkerEntry> = {};
  const lost: LostWorker[] = [];
  for (const [id, w] of Object.entries(pool.workers)) {
    if (now - w.lastHeartbeat > timeoutMs) lost.push({ workerId: id, jobIds: [...new Set(Object.values(w.allocated))].sort() });
    else workers[id] = w;
  }
  return { pool: { workers }, lost };
}
