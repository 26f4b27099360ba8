// The five keyed state kinds (Flink's ValueState, ListState, ReducingState, AggregatingState and
// MapState), written once over a cell (state-cells.ts): the same handles serve the heap and LMDB
// backends and the window operator's per-window state. A handle is made once per state and reads
// the current key (and namespace) through its cell at every access; nothing here allocates on a
// value state's read or update.

import type { AggregateFunction } from "../core/state-descriptors.ts";
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from "../core/keyed-state.ts";
import type { MapStateCell, StateCell } from "./state-cells.ts";

export function checkListElement(value: unknown, state: string): void {
  if (value === undefined) throw new Error(`list state ${state}: cannot add undefined`);
}

export class CellValueState<T> implements ValueState<T> {
  constructor(private readonly cell: StateCell, private readonly defaultValue: T | undefined) {}

  value(): T | undefined {
    // One lookup, not has() + get(): update() never stores undefined, so undefined means absent.
    const value = this.cell.get() as T | undefined;
    return value === undefined ? this.defaultValue : value;
  }

  update(value: T): void {
    if (value === undefined) this.cell.remove();
    else this.cell.put(value);
  }

  clear(): void {
    this.cell.remove();
  }
}

export class CellListState<T> implements ListState<T> {
  constructor(private readonly cell: StateCell, private readonly name: string) {}

  get(): T[] {
    const elements = this.cell.get() as T[] | undefined;
    return elements === undefined ? [] : elements.slice();
  }

  add(value: T): void {
    checkListElement(value, this.name);
    const elements = this.cell.get() as T[] | undefined;
    if (elements === undefined) this.cell.put([value]);
    else {
      elements.push(value);
      if (!this.cell.live) this.cell.put(elements);
    }
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    for (const value of values) checkListElement(value, this.name);
    const elements = this.cell.get() as T[] | undefined;
    if (elements === undefined) this.cell.put(values.slice());
    else {
      for (const value of values) elements.push(value);
      if (!this.cell.live) this.cell.put(elements);
    }
  }

  update(values: readonly T[]): void {
    for (const value of values) checkListElement(value, this.name);
    if (values.length === 0) this.cell.remove();
    else this.cell.put(values.slice());
  }

  clear(): void {
    this.cell.remove();
  }
}

export class CellReducingState<T> implements ReducingState<T> {
  constructor(private readonly cell: StateCell, private readonly reduce: (a: T, b: T) => T) {}

  get(): T | undefined {
    return this.cell.get() as T | undefined;
  }

  add(value: T): void {
    const current = this.cell.get() as T | undefined;
    this.cell.put(current === undefined ? value : this.reduce(current, value));
  }

  clear(): void {
    this.cell.remove();
  }
}

export class CellAggregatingState<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(private readonly cell: StateCell, private readonly fn: AggregateFunction<IN, ACC, OUT>) {}

  get(): OUT | undefined {
    const accumulator = this.cell.get() as ACC | undefined;
    return accumulator === undefined ? undefined : this.fn.getResult(accumulator);
  }

  add(value: IN): void {
    const accumulator = this.cell.get() as ACC | undefined;
    this.cell.put(this.fn.add(value, accumulator === undefined ? this.fn.createAccumulator() : accumulator));
  }

  clear(): void {
    this.cell.remove();
  }
}

export class CellMapState<K, V> implements MapState<K, V> {
  constructor(private readonly cell: MapStateCell) {}

  get(key: K): V | undefined {
    return this.cell.getEntry(key) as V | undefined;
  }

  put(key: K, value: V): void {
    this.cell.putEntry(key, value);
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.cell.putEntry(key, value);
  }

  remove(key: K): void {
    this.cell.removeEntry(key);
  }

  contains(key: K): boolean {
    return this.cell.hasEntry(key);
  }

  entries(): [K, V][] {
    return this.cell.entries() as [K, V][];
  }

  keys(): K[] {
    return this.cell.entries().map(([key]) => key as K);
  }

  values(): V[] {
    return this.cell.entries().map(([, value]) => value as V);
  }

  isEmpty(): boolean {
    return this.cell.entries(1).length === 0;
  }

  clear(): void {
    this.cell.remove();
  }
}
