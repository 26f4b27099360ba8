// Keyed state with a time-to-live, once for every backend: each TTL handle wraps the plain handle
// of the same kind whose values are TtlValues (Flink's TtlValueState over a ValueState<TtlValue>,
// and so on). Each stored value (each list element, each map entry) carries the time its TTL
// restarted. An access that meets an expired value removes it, and returns it only with
// ReturnExpiredIfNotCleanedUp; reads restart the TTL only with OnReadAndWrite. Values never expire
// between accesses: time is read from the injected clock.

import type { AggregateFunction } from "../core/state-descriptors.ts";
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from "../core/keyed-state.ts";
import type { TtlPolicy, TtlValue } from "../core/state-ttl.ts";
import { checkListElement } from "./keyed-states.ts";

/** Reads a single wrapped value with the TTL rules: expired → removed (and maybe returned); read → maybe refreshed. */
function readChecked<V>(inner: ValueState<TtlValue<V>>, policy: TtlPolicy): TtlValue<V> | undefined {
  const entry = inner.value();
  if (entry === undefined) return undefined;
  const now = policy.now();
  if (policy.expired(entry, now)) {
    inner.clear();
    return policy.returnExpired ? entry : undefined;
  }
  if (policy.updateOnRead) inner.update(policy.wrap(entry.value, now));
  return entry;
}

/** The value if it has not expired, for read-modify-write: an expired accumulator starts over. */
function readLive<V>(inner: ValueState<TtlValue<V>>, policy: TtlPolicy, now: number): V | undefined {
  const entry = inner.value();
  return entry === undefined || policy.expired(entry, now) ? undefined : entry.value;
}

export class TtlValueState<T> implements ValueState<T> {
  constructor(private readonly inner: ValueState<TtlValue<T>>, private readonly policy: TtlPolicy, private readonly defaultValue: T | undefined) {}

  value(): T | undefined {
    const entry = readChecked(this.inner, this.policy);
    return entry === undefined ? this.defaultValue : entry.value;
  }

  update(value: T): void {
    if (value === undefined) this.inner.clear();
    else this.inner.update(this.policy.wrap(value, this.policy.now()));
  }

  clear(): void {
    this.inner.clear();
  }
}

export class TtlListState<T> implements ListState<T> {
  constructor(private readonly inner: ListState<TtlValue<T>>, private readonly policy: TtlPolicy, private readonly name: string) {}

  get(): T[] {
    const elements = this.inner.get();
    if (elements.length === 0) return [];
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
    if (kept.length === 0) this.inner.clear();
    else if (kept.length < elements.length || policy.updateOnRead) this.inner.update(kept);
    return result;
  }

  add(value: T): void {
    checkListElement(value, this.name);
    this.inner.add(this.policy.wrap(value, this.policy.now()));
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    for (const value of values) checkListElement(value, this.name);
    const now = this.policy.now();
    this.inner.addAll(values.map((value) => this.policy.wrap(value, now)));
  }

  update(values: readonly T[]): void {
    for (const value of values) checkListElement(value, this.name);
    const now = this.policy.now();
    this.inner.update(values.map((value) => this.policy.wrap(value, now)));
  }

  clear(): void {
    this.inner.clear();
  }
}

/** Reducing state with a TTL, over the value state of its wrapped accumulator. */
export class TtlReducingState<T> implements ReducingState<T> {
  constructor(private readonly inner: ValueState<TtlValue<T>>, private readonly policy: TtlPolicy, private readonly reduce: (a: T, b: T) => T) {}

  get(): T | undefined {
    return readChecked(this.inner, this.policy)?.value;
  }

  add(value: T): void {
    const now = this.policy.now();
    const current = readLive(this.inner, this.policy, now);
    this.inner.update(this.policy.wrap(current === undefined ? value : this.reduce(current, value), now));
  }

  clear(): void {
    this.inner.clear();
  }
}

/** Aggregating state with a TTL, over the value state of its wrapped accumulator. */
export class TtlAggregatingState<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(private readonly inner: ValueState<TtlValue<ACC>>, private readonly policy: TtlPolicy, private readonly fn: AggregateFunction<IN, ACC, OUT>) {}

  get(): OUT | undefined {
    const entry = readChecked(this.inner, this.policy);
    return entry === undefined ? undefined : this.fn.getResult(entry.value);
  }

  add(value: IN): void {
    const now = this.policy.now();
    const accumulator = readLive(this.inner, this.policy, now);
    this.inner.update(this.policy.wrap(this.fn.add(value, accumulator === undefined ? this.fn.createAccumulator() : accumulator), now));
  }

  clear(): void {
    this.inner.clear();
  }
}

export class TtlMapState<K, V> implements MapState<K, V> {
  constructor(private readonly inner: MapState<K, TtlValue<V>>, private readonly policy: TtlPolicy) {}

  /** Reads one entry with the TTL rules; undefined when absent or expired and hidden. */
  private entry(key: K): TtlValue<V> | undefined {
    const entry = this.inner.get(key);
    if (entry === undefined) return undefined;
    const now = this.policy.now();
    if (this.policy.expired(entry, now)) {
      this.inner.remove(key);
      return this.policy.returnExpired ? entry : undefined;
    }
    if (this.policy.updateOnRead) this.inner.put(key, this.policy.wrap(entry.value, now));
    return entry;
  }

  get(key: K): V | undefined {
    return this.entry(key)?.value;
  }

  put(key: K, value: V): void {
    this.inner.put(key, this.policy.wrap(value, this.policy.now()));
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: K): void {
    this.inner.remove(key);
  }

  contains(key: K): boolean {
    return this.entry(key) !== undefined;
  }

  entries(): [K, V][] {
    const { policy } = this;
    const now = policy.now();
    const result: [K, V][] = [];
    for (const [key, entry] of this.inner.entries()) {
      const expired = policy.expired(entry, now);
      if (!expired || policy.returnExpired) result.push([key, entry.value]);
      if (expired) this.inner.remove(key);
      else if (policy.updateOnRead) this.inner.put(key, policy.wrap(entry.value, now));
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

  clear(): void {
    this.inner.clear();
  }
}
