// Snapshots of keyed state and timers, one per key group: plain arrays and objects (msgpack-friendly),
// keys as their original values. Pure functions pick the key groups of a subtask's range from the
// snapshots of any number of old subtasks — what restoring at another parallelism (rescaling) needs.

import { keyGroupOf, keyGroupRangeFor, type KeyGroupRange } from "../core/key-groups.ts";
import type { StateKind } from "../core/state-descriptors.ts";
import type { StateEntry } from "./state-table.ts";
import type { TimersSnapshot } from "./timer-service.ts";

/** One state's entries in one key group; for TTL states each value carries its TtlValue wrapper(s). */
export interface StateTableSnapshot {
  name: string;
  kind: StateKind;
  ttl: boolean;
  entries: StateEntry[];
}

/** The keyed state of one key group: every state with at least one key in it. */
export interface KeyGroupStateSnapshot {
  keyGroup: number;
  tables: StateTableSnapshot[];
}

/** The timers of one key group. */
export interface KeyGroupTimersSnapshot extends TimersSnapshot {
  keyGroup: number;
}

/**
 * The snapshots of the key groups in `range`, in key-group order, from the snapshots of any number
 * of subtasks (concatenated). A key group met twice means overlapping sources: refused.
 * @example
 * const mine = keyGroupsInRange([...oldSubtask0, ...oldSubtask1], keyGroupRangeFor(2, 3, 128));
 */
export function keyGroupsInRange<S extends { keyGroup: number }>(snapshots: readonly S[], range: KeyGroupRange): S[] {
  const selected = snapshots.filter((s) => s.keyGroup >= range.start && s.keyGroup <= range.end).sort((a, b) => a.keyGroup - b.keyGroup);
  for (let i = 1; i < selected.length; i++) {
    if (selected[i].keyGroup === selected[i - 1].keyGroup) throw new Error(`key group ${selected[i].keyGroup} appears in more than one snapshot`);
  }
  return selected;
}

/** Splits snapshots among the subtasks of a new parallelism: element i holds subtask i's key groups. */
export function splitKeyGroups<S extends { keyGroup: number }>(snapshots: readonly S[], parallelism: number, maxParallelism: number): S[][] {
  return Array.from({ length: parallelism }, (_, subtask) => keyGroupsInRange(snapshots, keyGroupRangeFor(subtask, parallelism, maxParallelism)));
}

/** Groups an operator's timers by the key group of their key. */
export function timersByKeyGroup(snapshot: TimersSnapshot, maxParallelism: number): KeyGroupTimersSnapshot[] {
  const groups = new Map<number, KeyGroupTimersSnapshot>();
  const groupOf = (key: unknown): KeyGroupTimersSnapshot => {
    const keyGroup = keyGroupOf(key, maxParallelism);
    let group = groups.get(keyGroup);
    if (!group) {
      group = { keyGroup, processing: [], event: [] };
      groups.set(keyGroup, group);
    }
    return group;
  };
  for (const timer of snapshot.processing) groupOf(timer.key).processing.push({ key: timer.key, timestamp: timer.timestamp });
  for (const timer of snapshot.event) groupOf(timer.key).event.push({ key: timer.key, timestamp: timer.timestamp });
  return [...groups.values()].sort((a, b) => a.keyGroup - b.keyGroup);
}

/** The timers of the key groups in `range`, as one TimersSnapshot (ordered by timestamp). */
export function timersInRange(snapshots: readonly KeyGroupTimersSnapshot[], range: KeyGroupRange): TimersSnapshot {
  const selected = keyGroupsInRange(snapshots, range);
  const byTime = (a: { timestamp: number }, b: { timestamp: number }) => a.timestamp - b.timestamp;
  return {
    processing: selected.flatMap((s) => s.processing).sort(byTime),
    event: selected.flatMap((s) => s.event).sort(byTime),
  };
}
