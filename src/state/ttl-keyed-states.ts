// Heap keyed state handles with a time-to-live. Each stored value (each list element, each map
// entry) is a TtlValue carrying the time its TTL restarted. An access that meets an expired value
// removes it, and returns it only with ReturnExpiredIfNotCleanedUp; reads restart the TTL only
// with OnReadAndWrite. Values never expire between accesses: time is read from the injected clock.

import type { AggregateFunction } from "../core/state-descriptors.ts";
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from "../core/keyed-state.ts";
import type { TtlPolicy, TtlValue } from "../core/state-ttl.ts";
import { denormalizeKey, normalizeKey, type StateTable } from "./state-table.ts";
import { checkListElement, type CurrentKeyScope } from "./heap-keyed-states.ts";

abstract class TtlState<S> {
  constructor(protected readonly scope: CurrentKeyScope, protected readonly table: StateTable, protected readonly policy: TtlPolicy) {}

  protected read(): S | undefined {
    const group = this.table.groups[this.scope.currentGroupIndex];
    return group === undefined ? undefined : (group.get(this.scope.currentNormalizedKey) as S | undefined);
  }

  protected write(stored: S): void {
    this.table.groupForWrite(this.scope.currentGroupIndex).set(this.scope.currentNormalizedKey, stored);
  }

  clear(): void {
    this.table.groups[this.scope.currentGroupIndex]?.delete(this.scope.currentNormalizedKey);
  }

  /** Reads a single wrapped value with the TTL rules: expired → removed (and maybe returned); read → maybe refreshed. */
  protected readChecked<V>(): TtlValue<V> | undefined {
    const entry = this.read() as TtlValue<V> | undefined;
    if (entry === undefined) return undefined;
    const now = this.policy.now();
    if (this.policy.expired(entry, now)) {
      this.clear();
      return this.policy.returnExpired ? entry : undefined;
    }
    if (this.policy.updateOnRead) this.write(this.policy.wrap(entry.value, now) as S);
    return entry;
  }

  /** The wrapped value if it has not expired, for read-modify-write: an expired accumulator starts over. */
  protected readLive<V>(now: number): V | undefined {
    const entry = this.read() as TtlValue<V> | undefined;
    return entry === undefined || this.policy.expired(entry, now) ? undefined : entry.value;
  }
}

export class TtlValueState<T> extends TtlState<TtlValue<T>> implements ValueState<T> {
  constructor(scope: CurrentKeyScope, table: StateTable, policy: TtlPolicy, private readonly defaultValue: T | undefined) {
    super(scope, table, policy);
  }

  value(): T | undefined {
    const entry = this.readChecked<T>();
    return entry === undefined ? this.defaultValue : entry.value;
  }

  update(value: T): void {
    if (value === undefined) this.clear();
    else this.write(this.policy.wrap(value, this.policy.now()));
  }
}

export class TtlListState<T> extends TtlState<TtlValue<T>[]> implements ListState<T> {
  get(): T[] {
    const elements = this.read();
    if (elements === undefined) return [];
    const { policy } = this;
    const now = policy.now();
    const result: T[] = [];
    const kept: TtlValue<T>[] = [];
    for (const element of elements) {
      if (policy.expired(element, now)) {
        if (policy.returnExpired) result.push(element.value);
        continue;
      }
      result.push(element.value);
      kept.push(policy.updateOnRead ? policy.wrap(element.value, now) : element);
    }
    // Expired elements are removed on this access; refreshed ones are written back.
    if (kept.length === 0) this.clear();
    else if (kept.length < elements.length || policy.updateOnRead) this.write(kept);
    return result;
  }

  add(value: T): void {
    checkListElement(value, this.table.name);
    const wrapped = this.policy.wrap(value, this.policy.now());
    const elements = this.read();
    if (elements === undefined) this.write([wrapped]);
    else elements.push(wrapped);
  }

  addAll(values: readonly T[]): void {
    for (const value of values) this.add(value);
  }

  update(values: readonly T[]): void {
    for (const value of values) checkListElement(value, this.table.name);
    const now = this.policy.now();
    if (values.length === 0) this.clear();
    else this.write(values.map((value) => this.policy.wrap(value, now)));
  }
}

export class TtlReducingState<T> extends TtlState<TtlValue<T>> implements ReducingState<T> {
  constructor(scope: CurrentKeyScope, table: StateTable, policy: TtlPolicy, private readonly reduce: (a: T, b: T) => T) {
    super(scope, table, policy);
  }

  get(): T | undefined {
    return this.readChecked<T>()?.value;
  }

  add(value: T): void {
    const now = this.policy.now();
    const current = this.readLive<T>(now);
    this.write(this.policy.wrap(current === undefined ? value : this.reduce(current, value), now));
  }
}

export class TtlAggregatingState<IN, ACC, OUT> extends TtlState<TtlValue<ACC>> implements AggregatingState<IN, OUT> {
  constructor(scope: CurrentKeyScope, table: StateTable, policy: TtlPolicy, private readonly fn: AggregateFunction<IN, ACC, OUT>) {
    super(scope, table, policy);
  }

  get(): OUT | undefined {
    const entry = this.readChecked<ACC>();
    return entry === undefined ? undefined : this.fn.getResult(entry.value);
  }

  add(value: IN): void {
    const now = this.policy.now();
    const accumulator = this.readLive<ACC>(now);
    this.write(this.policy.wrap(this.fn.add(value, accumulator === undefined ? this.fn.createAccumulator() : accumulator), now));
  }
}

export class TtlMapState<K, V> extends TtlState<Map<unknown, TtlValue<V>>> implements MapState<K, V> {
  /** Reads one entry with the TTL rules; undefined when absent or expired and hidden. */
  private entry(key: K): TtlValue<V> | undefined {
    const map = this.read();
    const normalized = normalizeKey(key);
    const entry = map?.get(normalized);
    if (map === undefined || entry === undefined) return undefined;
    const now = this.policy.now();
    if (this.policy.expired(entry, now)) {
      this.removeNormalized(map, normalized);
      return this.policy.returnExpired ? entry : undefined;
    }
    if (this.policy.updateOnRead) map.set(normalized, this.policy.wrap(entry.value, now));
    return entry;
  }

  private removeNormalized(map: Map<unknown, TtlValue<V>>, normalized: unknown): void {
    map.delete(normalized);
    if (map.size === 0) this.clear();
  }

  get(key: K): V | undefined {
    return this.entry(key)?.value;
  }

  put(key: K, value: V): void {
    let map = this.read();
    if (map === undefined) {
      map = new Map();
      this.write(map);
    }
    map.set(normalizeKey(key), this.policy.wrap(value, this.policy.now()));
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: K): void {
    const map = this.read();
    if (map !== undefined) this.removeNormalized(map, normalizeKey(key));
  }

  contains(key: K): boolean {
    return this.entry(key) !== undefined;
  }

  entries(): [K, V][] {
    const map = this.read();
    if (map === undefined) return [];
    const { policy } = this;
    const now = policy.now();
    const result: [K, V][] = [];
    for (const [normalized, entry] of map) {
      const expired = policy.expired(entry, now);
      if (!expired || policy.returnExpired) result.push([denormalizeKey(normalized) as K, entry.value]);
      if (expired) map.delete(normalized);
      else if (policy.updateOnRead) map.set(normalized, policy.wrap(entry.value, now));
    }
    if (map.size === 0) this.clear();
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
