// Snapshots of the LMDB backend's state, in the heap backend's per-key-group format: a full
// snapshot is a range scan per key group; a delta reads back only the changed keys; a restore
// writes a snapshot's entries in one transaction per key group. Receives the store and the
// registered tables; sends plain, msgpack-friendly data.

import type { KeyGroupRange } from "../../core/key-groups.ts";
import { keyGroupsInRange, type KeyGroupStateSnapshot, type StateTableSnapshot } from "../key-group-snapshots.ts";
import type { StateKind } from "../../core/state-descriptors.ts";
import { normalizeKey, type StateEntry } from "../state-table.ts";
import type { IncrementalSnapshot, KeyGroupStateDelta, StateTableDelta } from "./incremental-snapshots.ts";
import { groupPrefix, keyOfPart, keyPartOf, latin1Name, parseStateKey, prefixEnd, userKeyOfPart, userKeyPartOf } from "./lmdb-state-keys.ts";
import type { LmdbStateStore, StoredEntry } from "./lmdb-state-store.ts";
import type { LmdbStateTable } from "./lmdb-state-table.ts";

const STATE_KINDS: readonly StateKind[] = ["value", "list", "reducing", "aggregating", "map"];

/** The backend's registered states, and how a restored one is registered. */
export interface StateTables {
  readonly tables: ReadonlyMap<string, LmdbStateTable>;
  tableFor(name: string, kind: StateKind, hasTtl: boolean): LmdbStateTable;
}

/** Every key group of `range` that holds state, with TTL snapshot cleanup applied at `now`. */
export function readFullSnapshot(store: LmdbStateStore, states: StateTables, range: KeyGroupRange, now: number): KeyGroupStateSnapshot[] {
  const snapshots: KeyGroupStateSnapshot[] = [];
  for (let keyGroup = range.start; keyGroup <= range.end; keyGroup++) {
    const start = groupPrefix(keyGroup);
    const entries = store.range(start, prefixEnd(start));
    if (entries.length === 0) continue;
    const tables = groupTables(entries, states, tableLookup(states), now);
    if (tables.length > 0) snapshots.push({ keyGroup, tables });
  }
  return snapshots;
}

/** One key group's entries (in key order) as per-state snapshots, in the order the states were registered. */
function groupTables(entries: readonly StoredEntry[], states: StateTables, tableOf: (latin1: string) => LmdbStateTable, now: number): StateTableSnapshot[] {
  const byName = new Map<string, StateEntry[]>();
  let mapKeyPart: string | undefined;
  let mapPairs: StateEntry[] = [];
  let mapName = "";
  const endMap = () => {
    if (mapKeyPart !== undefined && mapPairs.length > 0) byName.get(mapName)!.push([keyOfPart(mapKeyPart), mapPairs]);
    mapKeyPart = undefined;
    mapPairs = [];
  };
  for (const { key, value } of entries) {
    const parsed = parseStateKey(key);
    const table = tableOf(parsed.latin1Name);
    let tableEntries = byName.get(table.name);
    if (!tableEntries) byName.set(table.name, (tableEntries = []));
    if (table.kind !== "map") {
      const stored = table.snapshotValue(value, now);
      if (stored !== undefined) tableEntries.push([keyOfPart(parsed.keyPart), stored]);
      continue;
    }
    // A map's entries are contiguous: gather them into the key's [userKey, value] pairs.
    if (parsed.keyPart !== mapKeyPart || table.name !== mapName) {
      endMap();
      mapKeyPart = parsed.keyPart;
      mapName = table.name;
    }
    if (table.liveMapValue(value, now)) mapPairs.push([userKeyOfPart(parsed.userKeyPart), value]);
  }
  endMap();
  const tables: StateTableSnapshot[] = [];
  for (const table of states.tables.values()) {
    const tableEntries = byName.get(table.name);
    if (tableEntries && tableEntries.length > 0) tables.push({ name: table.name, kind: table.kind, ttl: table.hasTtl, entries: tableEntries });
  }
  return tables;
}

/** Finds the registered table of a key's state name (names as they appear in keys). */
function tableLookup(states: StateTables): (latin1: string) => LmdbStateTable {
  const byName = new Map([...states.tables.values()].map((table) => [latin1Name(table.name), table]));
  return (latin1) => {
    const table = byName.get(latin1);
    if (!table) throw new Error(`the LMDB state backend holds entries of state ${JSON.stringify(Buffer.from(latin1, "latin1").toString("utf8"))}, which is not registered`);
    return table;
  };
}

/** A delta holding every key of the range: it replaces those key groups when a chain is applied. */
export function readFullDelta(store: LmdbStateStore, states: StateTables, range: KeyGroupRange, now: number, checkpointId: number): IncrementalSnapshot {
  const groups = readFullSnapshot(store, states, range, now).map(({ keyGroup, tables }) => ({
    keyGroup,
    tables: tables.map(({ name, kind, ttl, entries }): StateTableDelta => ({ name, kind, ttl, puts: entries, deletes: [], mapPuts: [], mapDeletes: [] })),
  }));
  return { version: 1, checkpointId, baseCheckpointId: null, keyGroupRange: { ...range }, groups };
}

/** The current state of the changed keys, per key group: written (with their value) or deleted. */
export function readDelta(
  store: LmdbStateStore,
  states: StateTables,
  range: KeyGroupRange,
  now: number,
  checkpointId: number,
  baseCheckpointId: number,
  changed: ReadonlySet<string>,
): IncrementalSnapshot {
  store.flush();
  const groups = new Map<number, Map<string, StateTableDelta>>();
  const deltaFor = (keyGroup: number, table: LmdbStateTable): StateTableDelta => {
    let group = groups.get(keyGroup);
    if (!group) groups.set(keyGroup, (group = new Map()));
    let delta = group.get(table.name);
    if (!delta) group.set(table.name, (delta = { name: table.name, kind: table.kind, ttl: table.hasTtl, puts: [], deletes: [], mapPuts: [], mapDeletes: [] }));
    return delta;
  };
  const tableOf = tableLookup(states);
  for (const key of [...changed].sort()) {
    const parsed = parseStateKey(key);
    const table = tableOf(parsed.latin1Name);
    const delta = deltaFor(parsed.keyGroup, table);
    const stateKey = keyOfPart(parsed.keyPart);
    const value = store.get(key);
    if (table.kind === "map") {
      const userKey = userKeyOfPart(parsed.userKeyPart);
      // An expired entry that a full snapshot would leave out is a delete here.
      if (value !== undefined && table.liveMapValue(value, now)) delta.mapPuts.push([stateKey, userKey, value]);
      else delta.mapDeletes.push([stateKey, userKey]);
    } else {
      const stored = value === undefined ? undefined : table.snapshotValue(value, now);
      if (stored !== undefined) delta.puts.push([stateKey, stored]);
      else delta.deletes.push(stateKey);
    }
  }
  const deltas: KeyGroupStateDelta[] = [...groups.entries()].sort(([a], [b]) => a - b).map(([keyGroup, tables]) => ({ keyGroup, tables: [...tables.values()] }));
  return { version: 1, checkpointId, baseCheckpointId, keyGroupRange: { ...range }, groups: deltas };
}

/** Writes the key groups of `range` found in `snapshots`, replacing what those keys held. */
export function restoreSnapshots(store: LmdbStateStore, states: StateTables, range: KeyGroupRange, snapshots: readonly KeyGroupStateSnapshot[]): void {
  for (const group of keyGroupsInRange(snapshots, range)) {
    const puts: StoredEntry[] = [];
    const removes: string[] = [];
    for (const snapshot of group.tables) {
      if (!STATE_KINDS.includes(snapshot.kind)) throw new Error(`keyed state snapshot of ${snapshot.name}: unknown state kind ${String(snapshot.kind)}`);
      const table = states.tableFor(snapshot.name, snapshot.kind, snapshot.ttl);
      const prefix = table.prefix(group.keyGroup - range.start);
      if (!Array.isArray(snapshot.entries)) throw new Error(`keyed state snapshot of ${table.name}: entries must be an array`);
      // Only a map that already has entries here can hold some the snapshot's map lacks.
      const replaceMaps = table.kind === "map" && store.keys(prefix, prefixEnd(prefix), 1).length > 0;
      for (const entry of snapshot.entries) {
        if (!Array.isArray(entry) || entry.length !== 2) throw new Error(`keyed state snapshot of ${table.name}: an entry must be a [key, value] pair`);
        const key = prefix + keyPartOf(normalizeKey(entry[0]));
        restoreEntry(store, table, key, entry[1], replaceMaps, puts, removes);
      }
    }
    store.writeAll(puts, removes);
  }
}

function restoreEntry(store: LmdbStateStore, table: LmdbStateTable, key: string, value: unknown, replaceMaps: boolean, puts: StoredEntry[], removes: string[]): void {
  switch (table.kind) {
    case "list":
      if (!Array.isArray(value)) throw new Error(`keyed state snapshot of list state ${table.name}: a value must be an array`);
      puts.push({ key, value });
      return;
    case "map": {
      if (!Array.isArray(value)) throw new Error(`keyed state snapshot of map state ${table.name}: a value must be an array of pairs`);
      // The snapshot's map replaces the key's map: entries it does not have go.
      if (replaceMaps) removes.push(...store.keys(key, prefixEnd(key)));
      for (const [userKey, v] of value as StateEntry[]) puts.push({ key: key + userKeyPartOf(userKey), value: v });
      return;
    }
    default:
      puts.push({ key, value });
  }
}
