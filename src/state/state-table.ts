// One keyed state's storage: per key group of the subtask's range, a map from the normalized key to
// the stored value (the value itself; a list; a map of user keys; TTL states wrap each in a TtlValue).
// Also how one key group of a table becomes plain, msgpack-friendly snapshot entries and back,
// through the registering descriptor's serializer (restored values wait for it: see register).

import { isExpired, type StateTtlConfig, type TtlValue } from "../core/state-ttl.ts";
import type { StateKind, StateSerializer } from "../core/state-descriptors.ts";
import { convertEntry, convertStored, type StoredStateInfo } from "./stored-values.ts";

/** Map keys that compare by value: primitives as they are, anything else by its JSON text. */
export function normalizeKey(key: unknown): unknown {
  switch (typeof key) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return key;
    default:
      return key === undefined || key === null ? key : `\u0000${JSON.stringify(key)}`;
  }
}

/** The key a normalized key stands for: primitives as they are, objects as their JSON value. */
export function denormalizeKey(normalized: unknown): unknown {
  return typeof normalized === "string" && normalized.charCodeAt(0) === 0 ? JSON.parse(normalized.slice(1)) : normalized;
}

/** One key's entry in a snapshot: the key as its original value, and the stored value (see StateTable). */
export type StateEntry = [key: unknown, value: unknown];

export class StateTable implements StoredStateInfo {
  /** Indexed by key group − range start; a group's map is created on its first write. */
  readonly groups: (Map<unknown, unknown> | undefined)[];
  /** The TTL of the descriptor that registered the table (restored tables have none until then). */
  ttlConfig: StateTtlConfig | undefined;
  /** The serializer of the first descriptor that registered the table. */
  private serializer: StateSerializer<unknown> | undefined;
  private registered = false;
  /** Restored before any descriptor registered the table: values are still in their snapshot form. */
  private holdsSnapshotData = false;

  constructor(readonly name: string, readonly kind: StateKind, readonly hasTtl: boolean, groupCount: number) {
    this.groups = new Array<Map<unknown, unknown> | undefined>(groupCount).fill(undefined);
  }

  groupForWrite(index: number): Map<unknown, unknown> {
    let group = this.groups[index];
    if (group === undefined) {
      group = new Map();
      this.groups[index] = group;
    }
    return group;
  }

  /** Whether the stored values are their snapshot values as they are (no serializer, no TTL wrapper). */
  get storesSnapshotValues(): boolean {
    return this.serializer === undefined && !this.hasTtl;
  }

  /** Number of keys with state. */
  size(): number {
    let size = 0;
    for (const group of this.groups) size += group?.size ?? 0;
    return size;
  }

  /**
   * A descriptor asks for this table. The first one decides the serializer, and values restored
   * before it came (restore runs before an operator's open() registers its states) are converted
   * now, once, so that state accesses never convert. Later descriptors must agree on having one.
   */
  register(serializer: StateSerializer<unknown> | undefined): void {
    if (this.registered) {
      if ((serializer === undefined) !== (this.serializer === undefined)) {
        throw new Error(`state ${JSON.stringify(this.name)} was registered ${this.serializer ? "with" : "without"} a serializer; a descriptor ${serializer ? "with" : "without"} one cannot use it`);
      }
      return;
    }
    this.registered = true;
    this.serializer = serializer;
    if (!this.holdsSnapshotData) return;
    this.holdsSnapshotData = false;
    if (serializer === undefined) return;
    const fromSnapshot = (data: unknown): unknown => serializer.fromSnapshot(data);
    for (const group of this.groups) group?.forEach((stored, key) => group.set(key, convertStored(this, stored, fromSnapshot)));
  }

  /** One key group's entries; with a snapshot cleanup TTL, expired values are left out. */
  snapshotGroup(index: number, now: number): StateEntry[] {
    const group = this.groups[index];
    if (group === undefined || group.size === 0) return [];
    const ttl = this.hasTtl && this.ttlConfig?.cleanupInFullSnapshot ? this.ttlConfig.ttlMs : undefined;
    const live = (entry: unknown): boolean => ttl === undefined || !isExpired(entry as TtlValue<unknown>, ttl, now);
    const entries: StateEntry[] = [];
    for (const [normalized, stored] of group) {
      const value = this.snapshotValue(stored, live);
      if (value !== undefined) entries.push([denormalizeKey(normalized), value]);
    }
    return entries;
  }

  /** Loads one key group's entries, replacing what the group held for those keys. */
  restoreGroup(index: number, entries: readonly StateEntry[]): void {
    if (!Array.isArray(entries)) throw new Error(`keyed state snapshot of ${this.name}: entries must be an array`);
    const group = this.groupForWrite(index);
    // Registered already (restore after open): convert now; else when the first descriptor comes.
    const serializer = this.serializer;
    if (!this.registered) this.holdsSnapshotData ||= entries.length > 0;
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new Error(`keyed state snapshot of ${this.name}: an entry must be a [key, value] pair`);
      const stored = this.restoreValue(entry[1]);
      group.set(normalizeKey(entry[0]), serializer === undefined ? stored : convertStored(this, stored, (data) => serializer.fromSnapshot(data)));
    }
  }

  /** A stored value as plain data (lists and maps copied), or undefined when nothing of it is live. */
  private snapshotValue(stored: unknown, live: (entry: unknown) => boolean): unknown {
    const serializer = this.serializer;
    const plain = serializer === undefined ? (entry: unknown) => entry : (entry: unknown) => convertEntry(this, entry, (value) => serializer.toSnapshot(value));
    switch (this.kind) {
      case "list": {
        const elements = (stored as unknown[]).filter(live).map(plain);
        return elements.length > 0 ? elements : undefined;
      }
      case "map": {
        const pairs: StateEntry[] = [];
        for (const [userKey, value] of stored as Map<unknown, unknown>) if (live(value)) pairs.push([denormalizeKey(userKey), plain(value)]);
        return pairs.length > 0 ? pairs : undefined;
      }
      default:
        return live(stored) ? plain(stored) : undefined;
    }
  }

  private restoreValue(value: unknown): unknown {
    switch (this.kind) {
      case "list":
        if (!Array.isArray(value)) throw new Error(`keyed state snapshot of list state ${this.name}: a value must be an array`);
        return value.slice();
      case "map": {
        if (!Array.isArray(value)) throw new Error(`keyed state snapshot of map state ${this.name}: a value must be an array of pairs`);
        return new Map((value as StateEntry[]).map(([userKey, v]) => [normalizeKey(userKey), v]));
      }
      default:
        return value;
    }
  }
}
