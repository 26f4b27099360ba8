// The LMDB backend's cells: the current key's LMDB key (the state's prefix for the key group + the
// key part the backend computed in setCurrentKey), read and written through the store. A list is
// one entry holding its elements; a map is one entry per user key, so one user key is read or
// written alone. Values are stored in snapshot form (see LmdbStateTable.toStored), so a value read
// is a copy: a change is kept only when it is put back.

import type { MapStateCell, StateCell, StateCells } from "../state-cells.ts";
import { prefixEnd, userKeyOfPart, userKeyPartOf } from "./lmdb-state-keys.ts";
import type { LmdbStateStore } from "./lmdb-state-store.ts";
import type { LmdbStateTable } from "./lmdb-state-table.ts";

/** The backend as the cells see it: where the current key's state lives. */
export interface LmdbKeyScope {
  /** The current key's key group minus the range start. */
  readonly currentGroupIndex: number;
  /** The current key's part of an LMDB key (see lmdb-state-keys.ts). */
  readonly currentKeyPart: string;
}

/** The current key's LMDB key for one state. */
class CurrentStateKey {
  // The last key built: a record usually reads and then writes the same key's state.
  private lastPart = "";
  private lastIndex = -1;
  private lastKey = "";

  constructor(private readonly scope: LmdbKeyScope, private readonly table: LmdbStateTable) {}

  get(): string {
    const part = this.scope.currentKeyPart;
    const index = this.scope.currentGroupIndex;
    if (part !== this.lastPart || index !== this.lastIndex) {
      this.lastKey = this.table.prefix(index) + part;
      this.lastPart = part;
      this.lastIndex = index;
    }
    return this.lastKey;
  }
}

class LmdbCell implements StateCell {
  readonly live = false;
  private readonly key: CurrentStateKey;

  constructor(scope: LmdbKeyScope, private readonly table: LmdbStateTable, private readonly store: LmdbStateStore) {
    this.key = new CurrentStateKey(scope, table);
  }

  get(): unknown {
    const stored = this.store.get(this.key.get());
    return stored === undefined ? undefined : this.table.fromStored(stored);
  }

  put(value: unknown): void {
    this.store.put(this.key.get(), this.table.toStored(value));
  }

  remove(): void {
    this.store.remove(this.key.get());
  }
}

/** Map state: one LMDB entry per user key, after the state key; listed in the byte order of the encoded user keys. */
class LmdbMapCell implements MapStateCell {
  private readonly key: CurrentStateKey;

  constructor(scope: LmdbKeyScope, private readonly table: LmdbStateTable, private readonly store: LmdbStateStore) {
    this.key = new CurrentStateKey(scope, table);
  }

  private entryKey(userKey: unknown): string {
    return this.key.get() + userKeyPartOf(userKey);
  }

  getEntry(userKey: unknown): unknown {
    const stored = this.store.get(this.entryKey(userKey));
    return stored === undefined ? undefined : this.table.fromStoredEntry(stored);
  }

  hasEntry(userKey: unknown): boolean {
    return this.store.get(this.entryKey(userKey)) !== undefined;
  }

  putEntry(userKey: unknown, value: unknown): void {
    this.store.put(this.entryKey(userKey), this.table.toStoredEntry(value));
  }

  removeEntry(userKey: unknown): void {
    this.store.remove(this.entryKey(userKey));
  }

  entries(limit?: number): [unknown, unknown][] {
    const prefix = this.key.get();
    return this.store.range(prefix, prefixEnd(prefix), limit).map(({ key, value }) => [userKeyOfPart(key.slice(prefix.length)), this.table.fromStoredEntry(value)]);
  }

  remove(): void {
    const prefix = this.key.get();
    for (const key of this.store.keys(prefix, prefixEnd(prefix))) this.store.remove(key);
  }
}

/** The cells of one LMDB state table, for the backend's current key. */
export function lmdbCells(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore): StateCells {
  return { value: () => new LmdbCell(scope, table, store), map: () => new LmdbMapCell(scope, table, store) };
}
