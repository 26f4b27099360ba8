// LMDB implementations of the keyed state handles, without TTL. Each access builds the current
// key's LMDB key (the state's prefix for the key group + the key part the backend computed in
// setCurrentKey) and reads or writes it through the store. A list is one entry holding its
// elements; a map is one entry per user key, so one user key is read or written alone.
// Values are stored in snapshot form (see LmdbStateTable.toStored); values read are copies: a
// change is kept only when it is written back (update/add/put).

import type { AggregateFunction } from "../../core/state-descriptors.ts";
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from "../../core/keyed-state.ts";
import { checkListElement } from "../heap-keyed-states.ts";
import { prefixEnd, userKeyOfPart, userKeyPartOf } from "./lmdb-state-keys.ts";
import type { LmdbStateStore, StoredEntry } from "./lmdb-state-store.ts";
import type { LmdbStateTable } from "./lmdb-state-table.ts";

/** The backend as the state handles see it: where the current key's state lives. */
export interface LmdbKeyScope {
  /** The current key's key group minus the range start. */
  readonly currentGroupIndex: number;
  /** The current key's part of an LMDB key (see lmdb-state-keys.ts). */
  readonly currentKeyPart: string;
}

/** Shared by the handles: the current key's LMDB key, and reads and writes of it. */
export abstract class LmdbState {
  // The last key built: a record usually reads and then writes the same key's state.
  private lastPart = "";
  private lastIndex = -1;
  private lastKey = "";

  constructor(protected readonly scope: LmdbKeyScope, protected readonly table: LmdbStateTable, protected readonly store: LmdbStateStore) {}

  protected key(): string {
    const part = this.scope.currentKeyPart;
    const index = this.scope.currentGroupIndex;
    if (part !== this.lastPart || index !== this.lastIndex) {
      this.lastKey = this.table.prefix(index) + part;
      this.lastPart = part;
      this.lastIndex = index;
    }
    return this.lastKey;
  }

  protected read(): unknown {
    return this.store.get(this.key());
  }

  protected write(value: unknown): void {
    this.store.put(this.key(), value);
  }

  clear(): void {
    this.store.remove(this.key());
  }
}

export class LmdbValueState<T> extends LmdbState implements ValueState<T> {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, private readonly defaultValue: T | undefined) {
    super(scope, table, store);
  }

  value(): T | undefined {
    const stored = this.store.get(this.key());
    return stored === undefined ? this.defaultValue : (this.table.fromStored(stored) as T);
  }

  update(value: T): void {
    if (value === undefined) this.store.remove(this.key());
    else this.store.put(this.key(), this.table.toStored(value));
  }
}

export class LmdbListState<T> extends LmdbState implements ListState<T> {
  get(): T[] {
    const elements = this.read() as unknown[] | undefined;
    return elements === undefined ? [] : elements.map((element) => this.table.fromStored(element) as T);
  }

  add(value: T): void {
    checkListElement(value, this.table.name);
    const stored = this.table.toStored(value);
    const elements = this.read() as unknown[] | undefined;
    if (elements === undefined) this.write([stored]);
    else {
      elements.push(stored);
      this.write(elements);
    }
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    for (const value of values) checkListElement(value, this.table.name);
    const stored = values.map((value) => this.table.toStored(value));
    const elements = this.read() as unknown[] | undefined;
    this.write(elements === undefined ? stored : elements.concat(stored));
  }

  update(values: readonly T[]): void {
    for (const value of values) checkListElement(value, this.table.name);
    if (values.length === 0) this.clear();
    else this.write(values.map((value) => this.table.toStored(value)));
  }
}

export class LmdbReducingState<T> extends LmdbState implements ReducingState<T> {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, private readonly reduce: (a: T, b: T) => T) {
    super(scope, table, store);
  }

  get(): T | undefined {
    const stored = this.read();
    return stored === undefined ? undefined : (this.table.fromStored(stored) as T);
  }

  add(value: T): void {
    const current = this.get();
    this.write(this.table.toStored(current === undefined ? value : this.reduce(current, value)));
  }
}

export class LmdbAggregatingState<IN, ACC, OUT> extends LmdbState implements AggregatingState<IN, OUT> {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, private readonly fn: AggregateFunction<IN, ACC, OUT>) {
    super(scope, table, store);
  }

  private accumulator(): ACC | undefined {
    const stored = this.read();
    return stored === undefined ? undefined : (this.table.fromStored(stored) as ACC);
  }

  get(): OUT | undefined {
    const accumulator = this.accumulator();
    return accumulator === undefined ? undefined : this.fn.getResult(accumulator);
  }

  add(value: IN): void {
    const accumulator = this.accumulator();
    this.write(this.table.toStored(this.fn.add(value, accumulator === undefined ? this.fn.createAccumulator() : accumulator)));
  }
}

/** Map state's entries: one LMDB entry per user key, after the state key. */
export abstract class LmdbMapEntries extends LmdbState {
  protected entryKey(userKey: unknown): string {
    return this.key() + userKeyPartOf(userKey);
  }

  /** The current key's entries, in user-key byte order: [LMDB key, user key, stored value]. */
  protected storedEntries(limit?: number): [string, unknown, unknown][] {
    const prefix = this.key();
    return this.store.range(prefix, prefixEnd(prefix), limit).map(({ key, value }: StoredEntry) => [key, userKeyOfPart(key.slice(prefix.length)), value]);
  }

  override clear(): void {
    const prefix = this.key();
    for (const key of this.store.keys(prefix, prefixEnd(prefix))) this.store.remove(key);
  }
}

/** Entries are listed in the byte order of their encoded user keys, not in insertion order. */
export class LmdbMapState<K, V> extends LmdbMapEntries implements MapState<K, V> {
  get(key: K): V | undefined {
    const stored = this.store.get(this.entryKey(key));
    return stored === undefined ? undefined : (this.table.fromStored(stored) as V);
  }

  put(key: K, value: V): void {
    this.store.put(this.entryKey(key), this.table.toStored(value));
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: K): void {
    this.store.remove(this.entryKey(key));
  }

  contains(key: K): boolean {
    return this.store.get(this.entryKey(key)) !== undefined;
  }

  entries(): [K, V][] {
    return this.storedEntries().map(([, key, value]) => [key as K, this.table.fromStored(value) as V]);
  }

  keys(): K[] {
    return this.storedEntries().map(([, key]) => key as K);
  }

  values(): V[] {
    return this.storedEntries().map(([, , value]) => this.table.fromStored(value) as V);
  }

  isEmpty(): boolean {
    return this.storedEntries(1).length === 0;
  }
}
