// Heap implementations of the keyed state handles, without TTL. Each access reads the current key
// group and normalized key the backend computed in setCurrentKey: one array index and one map
// lookup, no allocation (a value state's read and update allocate nothing).

import type { AggregateFunction } from "../core/state-descriptors.ts";
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from "../core/keyed-state.ts";
import { denormalizeKey, normalizeKey, type StateTable } from "./state-table.ts";

/** The backend as the state handles see it: where the current key's state lives. */
export interface CurrentKeyScope {
  /** The current key's key group minus the range start. */
  readonly currentGroupIndex: number;
  readonly currentNormalizedKey: unknown;
}

/** Shared by the handles: the current key's stored value, and writes to it. */
abstract class HeapState {
  protected readonly groups: (Map<unknown, unknown> | undefined)[];
  constructor(protected readonly scope: CurrentKeyScope, protected readonly table: StateTable) {
    this.groups = table.groups;
  }

  protected read(): unknown {
    const group = this.groups[this.scope.currentGroupIndex];
    return group === undefined ? undefined : group.get(this.scope.currentNormalizedKey);
  }

  protected write(value: unknown): void {
    this.table.groupForWrite(this.scope.currentGroupIndex).set(this.scope.currentNormalizedKey, value);
  }

  clear(): void {
    const group = this.groups[this.scope.currentGroupIndex];
    if (group !== undefined) group.delete(this.scope.currentNormalizedKey);
  }
}

export class HeapValueState<T> extends HeapState implements ValueState<T> {
  constructor(scope: CurrentKeyScope, table: StateTable, private readonly defaultValue: T | undefined) {
    super(scope, table);
  }

  // The per-record path: written out here rather than through the shared helpers, so its property
  // accesses see only this class and stay monomorphic however many other state kinds a job uses.
  value(): T | undefined {
    const scope = this.scope;
    const group = this.groups[scope.currentGroupIndex];
    // One lookup, not has() + get(): update() never stores undefined, so undefined means absent.
    const value = group === undefined ? undefined : (group.get(scope.currentNormalizedKey) as T | undefined);
    return value === undefined ? this.defaultValue : value;
  }

  update(value: T): void {
    const scope = this.scope;
    if (value === undefined) this.groups[scope.currentGroupIndex]?.delete(scope.currentNormalizedKey);
    else this.table.groupForWrite(scope.currentGroupIndex).set(scope.currentNormalizedKey, value);
  }
}

export function checkListElement(value: unknown, state: string): void {
  if (value === undefined) throw new Error(`list state ${state}: cannot add undefined`);
}

export class HeapListState<T> extends HeapState implements ListState<T> {
  get(): T[] {
    const elements = this.read() as T[] | undefined;
    return elements === undefined ? [] : elements.slice();
  }

  add(value: T): void {
    checkListElement(value, this.table.name);
    const elements = this.read() as T[] | undefined;
    if (elements === undefined) this.write([value]);
    else elements.push(value);
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    for (const value of values) checkListElement(value, this.table.name);
    const elements = this.read() as T[] | undefined;
    if (elements === undefined) this.write(values.slice());
    else for (const value of values) elements.push(value);
  }

  update(values: readonly T[]): void {
    for (const value of values) checkListElement(value, this.table.name);
    if (values.length === 0) this.clear();
    else this.write(values.slice());
  }
}

export class HeapReducingState<T> extends HeapState implements ReducingState<T> {
  constructor(scope: CurrentKeyScope, table: StateTable, private readonly reduce: (a: T, b: T) => T) {
    super(scope, table);
  }

  get(): T | undefined {
    return this.read() as T | undefined;
  }

  add(value: T): void {
    const current = this.read() as T | undefined;
    this.write(current === undefined ? value : this.reduce(current, value));
  }
}

export class HeapAggregatingState<IN, ACC, OUT> extends HeapState implements AggregatingState<IN, OUT> {
  constructor(scope: CurrentKeyScope, table: StateTable, private readonly fn: AggregateFunction<IN, ACC, OUT>) {
    super(scope, table);
  }

  get(): OUT | undefined {
    const accumulator = this.read() as ACC | undefined;
    return accumulator === undefined ? undefined : this.fn.getResult(accumulator);
  }

  add(value: IN): void {
    const accumulator = this.read() as ACC | undefined;
    this.write(this.fn.add(value, accumulator === undefined ? this.fn.createAccumulator() : accumulator));
  }
}

export class HeapMapState<K, V> extends HeapState implements MapState<K, V> {
  private map(): Map<unknown, V> | undefined {
    return this.read() as Map<unknown, V> | undefined;
  }

  private mapForWrite(): Map<unknown, V> {
    let map = this.map();
    if (map === undefined) {
      map = new Map();
      this.write(map);
    }
    return map;
  }

  get(key: K): V | undefined {
    return this.map()?.get(normalizeKey(key));
  }

  put(key: K, value: V): void {
    this.mapForWrite().set(normalizeKey(key), value);
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: K): void {
    const map = this.map();
    if (map === undefined) return;
    map.delete(normalizeKey(key));
    if (map.size === 0) this.clear();
  }

  contains(key: K): boolean {
    return this.map()?.has(normalizeKey(key)) ?? false;
  }

  entries(): [K, V][] {
    const map = this.map();
    return map === undefined ? [] : Array.from(map, ([key, value]) => [denormalizeKey(key) as K, value]);
  }

  keys(): K[] {
    const map = this.map();
    return map === undefined ? [] : Array.from(map.keys(), (key) => denormalizeKey(key) as K);
  }

  values(): V[] {
    const map = this.map();
    return map === undefined ? [] : Array.from(map.values());
  }

  isEmpty(): boolean {
    return (this.map()?.size ?? 0) === 0;
  }
}
