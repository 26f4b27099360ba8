// Incremental keyed-state snapshots: per key group, the keys written or removed since the last
// confirmed checkpoint — plain, msgpack-friendly data, keys as their original values. Pure
// functions materialise a chain (a full base, then deltas) into full per-key-group snapshots,
// which any keyed state backend restores; deltas apply per key group, so chains survive rescaling.

import type { KeyGroupRange } from "../../core/key-groups.ts";
import type { KeyGroupStateSnapshot, StateTableSnapshot } from "../key-group-snapshots.ts";
import type { StateKind } from "../../core/state-descriptors.ts";
import { normalizeKey, type StateEntry } from "../state-table.ts";

/** One state's changes in one key group. Stored values are as in full snapshots (TTL wrappers included). */
export interface StateTableDelta {
  name: string;
  kind: StateKind;
  ttl: boolean;
  /** Keys whose whole state is now this value (a map state's value: its [userKey, value] pairs). */
  puts: StateEntry[];
  /** Keys whose whole state is gone. */
  deletes: unknown[];
  /** Map state: entries written, as [key, userKey, value]. */
  mapPuts: [key: unknown, userKey: unknown, value: unknown][];
  /** Map state: entries removed, as [key, userKey]. */
  mapDeletes: [key: unknown, userKey: unknown][];
}

/** The changes of one key group. */
export interface KeyGroupStateDelta {
  keyGroup: number;
  tables: StateTableDelta[];
}

/**
 * What changed in one subtask's key groups up to `checkpointId` since checkpoint `baseCheckpointId`
 * (null: a full delta — it holds every key of `keyGroupRange` and replaces those key groups).
 */
export interface IncrementalSnapshot {
  version: 1;
  checkpointId: number;
  baseCheckpointId: number | null;
  keyGroupRange: KeyGroupRange;
  groups: KeyGroupStateDelta[];
}

/** One state of one key group while a chain is applied; map values keep their user keys apart. */
interface TableState {
  name: string;
  kind: StateKind;
  ttl: boolean;
  /** normalized key → [key, value]; for map state the value is a Map of normalized user key → [userKey, value]. */
  entries: Map<unknown, [unknown, unknown]>;
}

type GroupState = Map<string, TableState>;
type UserEntries = Map<unknown, [unknown, unknown]>;

const inRange = (keyGroup: number, range: KeyGroupRange | undefined) => range === undefined || (keyGroup >= range.start && keyGroup <= range.end);

/**
 * The full per-key-group snapshots a chain stands for: `base` (a full snapshot, or undefined when
 * the chain starts with a full delta), then `deltas` in checkpoint order. Deltas of several
 * subtasks (before a rescale) may be passed together: they are applied per key group. With
 * `range`, only those key groups are materialised. Values are shared with the inputs, not copied.
 * @example
 * const state = applyIncrementalChain(undefined, [delta1, delta2, delta3]);
 * backend.restore(state); // any keyed state backend
 */
export function applyIncrementalChain(base: readonly KeyGroupStateSnapshot[] | undefined, deltas: readonly IncrementalSnapshot[], range?: KeyGroupRange): KeyGroupStateSnapshot[] {
  const groups = new Map<number, GroupState>();
  for (const group of base ?? []) {
    if (!inRange(group.keyGroup, range)) continue;
    if (groups.has(group.keyGroup)) throw new Error(`key group ${group.keyGroup} appears in more than one snapshot`);
    const state: GroupState = new Map();
    groups.set(group.keyGroup, state);
    for (const table of group.tables) loadTable(tableState(state, table), table);
  }
  const appliedUpTo = new Map<number, number>();
  const ordered = deltas.map((delta, index) => ({ delta, index })).sort((a, b) => a.delta.checkpointId - b.delta.checkpointId || a.index - b.index);
  for (const { delta } of ordered) {
    checkVersion(delta);
    checkContinuity(delta, appliedUpTo, base !== undefined, range);
    if (delta.baseCheckpointId === null) {
      for (let kg = delta.keyGroupRange.start; kg <= delta.keyGroupRange.end; kg++) groups.delete(kg);
    }
    for (const group of delta.groups) {
      if (!inRange(group.keyGroup, range)) continue;
      let state = groups.get(group.keyGroup);
      if (!state) groups.set(group.keyGroup, (state = new Map()));
      for (const table of group.tables) applyTableDelta(tableState(state, table), table);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([keyGroup, state]) => ({ keyGroup, tables: [...state.values()].map(tableSnapshot).filter((t) => t.entries.length > 0) }))
    .filter((group) => group.tables.length > 0);
}

/** The keys of a delta, per key group and state — e.g. to check what a checkpoint wrote. */
export function changedKeys(delta: IncrementalSnapshot): { keyGroup: number; name: string; written: unknown[]; deleted: unknown[] }[] {
  return delta.groups.flatMap((group) =>
    group.tables.map((t) => ({
      keyGroup: group.keyGroup,
      name: t.name,
      written: [...t.puts.map(([key]) => key), ...t.mapPuts.map(([key, userKey]) => [key, userKey])],
      deleted: [...t.deletes, ...t.mapDeletes],
    })),
  );
}

function checkVersion(delta: IncrementalSnapshot): void {
  if (delta.version !== 1) throw new Error(`incremental snapshot ${delta.checkpointId}: unknown version ${String(delta.version)}`);
}

/** A delta must build on the checkpoint its key groups were last brought to (or a later one's base). */
function checkContinuity(delta: IncrementalSnapshot, appliedUpTo: Map<number, number>, hasBase: boolean, range: KeyGroupRange | undefined): void {
  const { start, end } = delta.keyGroupRange;
  for (let kg = start; kg <= end; kg++) {
    if (!inRange(kg, range)) continue;
    const last = appliedUpTo.get(kg);
    const base = delta.baseCheckpointId;
    if (base !== null && last === undefined && !hasBase) {
      throw new Error(`incremental snapshot ${delta.checkpointId} builds on checkpoint ${base}, but the chain has no full snapshot of key group ${kg}`);
    }
    // A delta holds every change since its base, so a base older than the last applied checkpoint is fine.
    if (base !== null && last !== undefined && base > last) {
      throw new Error(`incremental snapshot ${delta.checkpointId} builds on checkpoint ${base}, but key group ${kg} was last brought to checkpoint ${last}: a delta is missing`);
    }
    appliedUpTo.set(kg, delta.checkpointId);
  }
}

function tableState(group: GroupState, meta: { name: string; kind: StateKind; ttl: boolean }): TableState {
  let table = group.get(meta.name);
  if (!table) {
    table = { name: meta.name, kind: meta.kind, ttl: meta.ttl, entries: new Map() };
    group.set(meta.name, table);
  } else if (table.kind !== meta.kind) {
    throw new Error(`state "${meta.name}" is ${table.kind} state in one snapshot and ${meta.kind} state in another`);
  }
  return table;
}

function loadTable(table: TableState, snapshot: StateTableSnapshot): void {
  for (const [key, value] of snapshot.entries) putWhole(table, key, value);
}

function putWhole(table: TableState, key: unknown, value: unknown): void {
  const stored = table.kind === "map" ? new Map((value as StateEntry[]).map(([userKey, v]) => [normalizeKey(userKey), [userKey, v]])) : value;
  table.entries.set(normalizeKey(key), [key, stored]);
}

function applyTableDelta(table: TableState, delta: StateTableDelta): void {
  for (const key of delta.deletes) table.entries.delete(normalizeKey(key));
  for (const [key, value] of delta.puts) putWhole(table, key, value);
  for (const [key, userKey] of delta.mapDeletes) {
    const normalized = normalizeKey(key);
    const map = table.entries.get(normalized)?.[1] as UserEntries | undefined;
    map?.delete(normalizeKey(userKey));
    if (map !== undefined && map.size === 0) table.entries.delete(normalized);
  }
  for (const [key, userKey, value] of delta.mapPuts) {
    const normalized = normalizeKey(key);
    let entry = table.entries.get(normalized);
    if (!entry) table.entries.set(normalized, (entry = [key, new Map()]));
    (entry[1] as UserEntries).set(normalizeKey(userKey), [userKey, value]);
  }
}

function tableSnapshot(table: TableState): StateTableSnapshot {
  const entries: StateEntry[] = [];
  for (const [key, stored] of table.entries.values()) {
    entries.push([key, table.kind === "map" ? [...(stored as UserEntries).values()] : stored]);
  }
  return { name: table.name, kind: table.kind, ttl: table.ttl, entries };
}
