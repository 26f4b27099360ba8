// LMDB keyed state handles with a time-to-live, with the heap TTL states' semantics (see
// ../ttl-keyed-states.ts) and its pure helpers (TtlPolicy, TtlValue). Each stored value, list
// element and map entry is a TtlValue; an access that meets an expired one removes it and returns
// it only with ReturnExpiredIfNotCleanedUp; reads restart the TTL only with OnReadAndWrite.
// Unlike on the heap, every change is written back explicitly (values read are copies), and the
// wrapped values are in their stored form (see LmdbStateTable.toStored).

import type { AggregateFunction } from "../../core/state-descriptors.ts";
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from "../../core/keyed-state.ts";
import { checkListElement } from "../heap-keyed-states.ts";
import type { TtlPolicy, TtlValue } from "../../core/state-ttl.ts";
import { LmdbMapEntries, LmdbState, type LmdbKeyScope } from "./lmdb-keyed-states.ts";
import type { LmdbStateStore } from "./lmdb-state-store.ts";
import type { LmdbStateTable } from "./lmdb-state-table.ts";

abstract class LmdbTtlState extends LmdbState {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, protected readonly policy: TtlPolicy) {
    super(scope, table, store);
  }

  /** Reads a single wrapped value with the TTL rules: expired → removed (and maybe returned); read → maybe refreshed. */
  protected readChecked(): TtlValue<unknown> | undefined {
    const entry = this.read() as TtlValue<unknown> | undefined;
    if (entry === undefined) return undefined;
    const now = this.policy.now();
    if (this.policy.expired(entry, now)) {
      this.clear();
      return this.policy.returnExpired ? entry : undefined;
    }
    if (this.policy.updateOnRead) this.write(this.policy.wrap(entry.value, now));
    return entry;
  }

  /** The user value if it has not expired, for read-modify-write: an expired accumulator starts over. */
  protected readLive<V>(now: number): V | undefined {
    const entry = this.read() as TtlValue<unknown> | undefined;
    return entry === undefined || this.policy.expired(entry, now) ? undefined : (this.table.fromStored(entry.value) as V);
  }

  /** A user value, stored and wrapped with the time. */
  protected wrap(value: unknown, now: number): TtlValue<unknown> {
    return this.policy.wrap(this.table.toStored(value), now);
  }
}

export class LmdbTtlValueState<T> extends LmdbTtlState implements ValueState<T> {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, policy: TtlPolicy, private readonly defaultValue: T | undefined) {
    super(scope, table, store, policy);
  }

  value(): T | undefined {
    const entry = this.readChecked();
    return entry === undefined ? this.defaultValue : (this.table.fromStored(entry.value) as T);
  }

  update(value: T): void {
    if (value === undefined) this.clear();
    else this.write(this.wrap(value, this.policy.now()));
  }
}

export class LmdbTtlListState<T> extends LmdbTtlState implements ListState<T> {
  get(): T[] {
    const elements = this.read() as TtlValue<unknown>[] | undefined;
    if (elements === undefined) return [];
    const { policy, table } = this;
    const now = policy.now();
    const result: T[] = [];
    const kept: TtlValue<unknown>[] = [];
    for (const element of elements) {
      if (policy.expired(element, now)) {
        if (policy.returnExpired) result.push(table.fromStored(element.value) as T);
        continue;
      }
      result.push(table.fromStored(element.value) as T);
      kept.push(policy.updateOnRead ? policy.wrap(element.value, now) : element);
    }
    // Expired elements are removed on this access; refreshed ones are written back.
    if (kept.length === 0) this.clear();
    else if (kept.length < elements.length || policy.updateOnRead) this.write(kept);
    return result;
  }

  add(value: T): void {
    this.addAll([value]);
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    for (const value of values) checkListElement(value, this.table.name);
    const now = this.policy.now();
    const wrapped = values.map((value) => this.wrap(value, now));
    const elements = this.read() as TtlValue<unknown>[] | undefined;
    this.write(elements === undefined ? wrapped : elements.concat(wrapped));
  }

  update(values: readonly T[]): void {
    for (const value of values) checkListElement(value, this.table.name);
    const now = this.policy.now();
    if (values.length === 0) this.clear();
    else this.write(values.map((value) => this.wrap(value, now)));
  }
}

export class LmdbTtlReducingState<T> extends LmdbTtlState implements ReducingState<T> {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, policy: TtlPolicy, private readonly reduce: (a: T, b: T) => T) {
    super(scope, table, store, policy);
  }

  get(): T | undefined {
    const entry = this.readChecked();
    return entry === undefined ? undefined : (this.table.fromStored(entry.value) as T);
  }

  add(value: T): void {
    const now = this.policy.now();
    const current = this.readLive<T>(now);
    this.write(this.wrap(current === undefined ? value : this.reduce(current, value), now));
  }
}

export class LmdbTtlAggregatingState<IN, ACC, OUT> extends LmdbTtlState implements AggregatingState<IN, OUT> {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, policy: TtlPolicy, private readonly fn: AggregateFunction<IN, ACC, OUT>) {
    super(scope, table, store, policy);
  }

  get(): OUT | undefined {
    const entry = this.readChecked();
    return entry === undefined ? undefined : this.fn.getResult(this.table.fromStored(entry.value) as ACC);
  }

  add(value: IN): void {
    const now = this.policy.now();
    const accumulator = this.readLive<ACC>(now);
    this.write(this.wrap(this.fn.add(value, accumulator === undefined ? this.fn.createAccumulator() : accumulator), now));
  }
}

export class LmdbTtlMapState<K, V> extends LmdbMapEntries implements MapState<K, V> {
  constructor(scope: LmdbKeyScope, table: LmdbStateTable, store: LmdbStateStore, private readonly policy: TtlPolicy) {
    super(scope, table, store);
  }

  /** Reads one entry (stored form) with the TTL rules; undefined when absent or expired and hidden. */
  private entry(key: K): TtlValue<unknown> | undefined {
    const entryKey = this.entryKey(key);
    const entry = this.store.get(entryKey) as TtlValue<unknown> | undefined;
    if (entry === undefined) return undefined;
    const now = this.policy.now();
    if (this.policy.expired(entry, now)) {
      this.store.remove(entryKey);
      return this.policy.returnExpired ? entry : undefined;
    }
    if (this.policy.updateOnRead) this.store.put(entryKey, this.policy.wrap(entry.value, now));
    return entry;
  }

  get(key: K): V | undefined {
    const entry = this.entry(key);
    return entry === undefined ? undefined : (this.table.fromStored(entry.value) as V);
  }

  put(key: K, value: V): void {
    this.store.put(this.entryKey(key), this.policy.wrap(this.table.toStored(value), this.policy.now()));
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: K): void {
    this.store.remove(this.entryKey(key));
  }

  contains(key: K): boolean {
    return this.entry(key) !== undefined;
  }

  entries(): [K, V][] {
    const { policy } = this;
    const now = policy.now();
    const result: [K, V][] = [];
    for (const [entryKey, key, stored] of this.storedEntries()) {
      const entry = stored as TtlValue<unknown>;
      const expired = policy.expired(entry, now);
      if (!expired || policy.returnExpired) result.push([key as K, this.table.fromStored(entry.value) as V]);
      if (expired) this.store.remove(entryKey);
      else if (policy.updateOnRead) this.store.put(entryKey, policy.wrap(entry.value, now));
    }
    return result;
  }

  keys(): K[] {
    return this.entries().map(([key]) => key);
  }

  values(): V[] {
    return this.entries().map(([, value]) => value);
  }

  isEmpty(): boolean {
    return this.entries().length === 0;
  }
}
