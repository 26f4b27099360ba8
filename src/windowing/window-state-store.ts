// Per-window state handles (Flink's window-scoped KeyedStateStore): value, list, reducing,
// aggregating and map state of the window being processed, kept in that window's slot. Used for
// trigger state and a process window function's windowState(); dropped with the window. Also how
// one such value becomes snapshot data and back: by the kind and serializer of its descriptor.

import type { AggregatingState, KeyedStateStore, ListState, MapState, ReducingState, ValueState } from "../core/keyed-state.ts";
import { normalizeKey } from "../state/keyed-state-backend.ts";
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateKind,
  StateSerializer,
  ValueStateDescriptor,
} from "../core/state-descriptors.ts";
import type { WindowSlot } from "./window-state.ts";

/** Which per-window values of a slot a store reads. */
export type SlotValuesField = "triggerState" | "windowState";

/** What a per-window state name holds, learnt from its descriptor when a handle for it is first made. */
export interface ScopedStateInfo {
  readonly kind: StateKind;
  readonly serializer: StateSerializer<unknown> | undefined;
}

/** Per-window state names of one field (trigger state or window state) and what they hold. */
export type ScopedStateRegistry = Map<string, ScopedStateInfo>;

/**
 * A per-window value restored from a snapshot. Which kind of state it is only its descriptor says,
 * and descriptors come when a trigger or function first asks for them: until then it stays as data.
 */
export class RestoredScopedValue {
  constructor(readonly data: unknown) {}
}

/** One stored per-window value as plain data: map state as [key, value] pairs, values through the serializer. */
export function scopedValueToSnapshot(value: unknown, info: ScopedStateInfo | undefined): unknown {
  if (value instanceof RestoredScopedValue) return value.data;
  if (info === undefined) return value; // not written through a handle of this operator: plain data
  const serializer = info.serializer;
  const plain = serializer === undefined ? (v: unknown) => v : (v: unknown) => serializer.toSnapshot(v);
  switch (info.kind) {
    case "map":
      return Array.from((value as Map<unknown, [unknown, unknown]>).values(), ([key, v]) => [key, plain(v)]);
    case "list":
      return (value as unknown[]).map(plain);
    default:
      return plain(value);
  }
}

/** The inverse of scopedValueToSnapshot, for the state named `name`. */
export function scopedValueFromSnapshot(data: unknown, info: ScopedStateInfo, name: string): unknown {
  const serializer = info.serializer;
  const restore = serializer === undefined ? (v: unknown) => v : (v: unknown) => serializer.fromSnapshot(v);
  switch (info.kind) {
    case "map": {
      if (!Array.isArray(data)) throw new Error(`per-window map state ${name}: a snapshot value must be an array of [key, value] pairs`);
      return new Map((data as [unknown, unknown][]).map(([key, v]) => [normalizeKey(key), [key, restore(v)]]));
    }
    case "list":
      if (!Array.isArray(data)) throw new Error(`per-window list state ${name}: a snapshot value must be an array`);
      return data.map(restore);
    default:
      return restore(data);
  }
}

/** Reads and writes one named value in the current window's slot; emptied value maps are dropped. */
class SlotValue {
  constructor(
    private readonly name: string,
    private readonly field: SlotValuesField,
    private readonly info: ScopedStateInfo,
    private readonly slot: (create: boolean) => WindowSlot | undefined,
  ) {}

  read(): unknown {
    return this.readFrom(this.slot(false));
  }

  /** The value in `slot`; a restored one is converted on this first read and stored converted. */
  readFrom(slot: WindowSlot | undefined): unknown {
    const values = slot?.[this.field];
    const value = values?.get(this.name);
    if (!(value instanceof RestoredScopedValue)) return value;
    const restored = scopedValueFromSnapshot(value.data, this.info, this.name);
    values!.set(this.name, restored);
    return restored;
  }

  write(value: unknown): void {
    const slot = this.slot(true)!;
    const values = slot[this.field] ?? new Map<string, unknown>();
    slot[this.field] = values;
    values.set(this.name, value);
  }

  remove(): void {
    const slot = this.slot(false);
    const values = slot?.[this.field];
    if (slot === undefined || values === undefined) return;
    values.delete(this.name);
    if (values.size === 0) slot[this.field] = undefined;
  }
}

class SlotValueState<T> implements ValueState<T> {
  constructor(private readonly cell: SlotValue, private readonly defaultValue: T | undefined) {}
  value(): T | undefined {
    const value = this.cell.read() as T | undefined;
    return value === undefined ? this.defaultValue : value;
  }
  update(value: T): void {
    if (value === undefined) this.cell.remove();
    else this.cell.write(value);
  }
  clear(): void {
    this.cell.remove();
  }
}

class SlotListState<T> implements ListState<T> {
  constructor(private readonly cell: SlotValue) {}
  get(): T[] {
    return [...((this.cell.read() as T[] | undefined) ?? [])];
  }
  add(value: T): void {
    this.addAll([value]);
  }
  addAll(values: readonly T[]): void {
    if (values.some((v) => v === undefined)) throw new Error("list state: cannot add undefined");
    if (values.length > 0) this.cell.write([...((this.cell.read() as T[] | undefined) ?? []), ...values]);
  }
  update(values: readonly T[]): void {
    this.cell.remove();
    this.addAll(values);
  }
  clear(): void {
    this.cell.remove();
  }
}

class SlotReducingState<T> implements ReducingState<T> {
  constructor(private readonly cell: SlotValue, private readonly reduce: (a: T, b: T) => T) {}
  get(): T | undefined {
    return this.cell.read() as T | undefined;
  }
  add(value: T): void {
    const current = this.get();
    this.cell.write(current === undefined ? value : this.reduce(current, value));
  }
  clear(): void {
    this.cell.remove();
  }
}

class SlotAggregatingState<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(private readonly cell: SlotValue, private readonly descriptor: AggregatingStateDescriptor<IN, ACC, OUT>) {}
  get(): OUT | undefined {
    const acc = this.cell.read() as ACC | undefined;
    return acc === undefined ? undefined : this.descriptor.aggregateFunction.getResult(acc);
  }
  add(value: IN): void {
    const fn = this.descriptor.aggregateFunction;
    const acc = this.cell.read() as ACC | undefined;
    this.cell.write(fn.add(value, acc === undefined ? fn.createAccumulator() : acc));
  }
  clear(): void {
    this.cell.remove();
  }
}

/** Entries by normalized key (keys compare by value, as state keys do). */
class SlotMapState<K, V> implements MapState<K, V> {
  constructor(private readonly cell: SlotValue) {}
  private map(): Map<unknown, [K, V]> | undefined {
    return this.cell.read() as Map<unknown, [K, V]> | undefined;
  }
  get(key: K): V | undefined {
    return this.map()?.get(normalizeKey(key))?.[1];
  }
  put(key: K, value: V): void {
    const map = this.map() ?? new Map<unknown, [K, V]>();
    map.set(normalizeKey(key), [key, value]);
    this.cell.write(map);
  }
  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }
  remove(key: K): void {
    const map = this.map();
    if (map === undefined) return;
    map.delete(normalizeKey(key));
    if (map.size === 0) this.cell.remove();
  }
  contains(key: K): boolean {
    return this.map()?.has(normalizeKey(key)) ?? false;
  }
  entries(): [K, V][] {
    return [...(this.map()?.values() ?? [])].map(([k, v]) => [k, v]);
  }
  keys(): K[] {
    return this.entries().map(([k]) => k);
  }
  values(): V[] {
    return this.entries().map(([, v]) => v);
  }
  isEmpty(): boolean {
    return (this.map()?.size ?? 0) === 0;
  }
  clear(): void {
    this.cell.remove();
  }
}

/**
 * The state of the window a context currently points at, in its slot: `slot(create)` gives that
 * slot (created for writes). One handle per state name, reused for every window.
 */
export class SlotStateStore implements KeyedStateStore {
  private readonly handles = new Map<string, { kind: string; handle: unknown; cell: SlotValue }>();

  /** `registry` learns each state name's kind and serializer, for the operator's snapshots. */
  constructor(
    private readonly field: SlotValuesField,
    private readonly slot: (create: boolean) => WindowSlot | undefined,
    private readonly registry: ScopedStateRegistry = new Map(),
  ) {}

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.handle(descriptor, (cell) => new SlotValueState<T>(cell, descriptor.defaultValue));
  }
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.handle(descriptor, (cell) => new SlotListState<T>(cell));
  }
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.handle(descriptor, (cell) => new SlotReducingState<T>(cell, descriptor.reduce));
  }
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.handle(descriptor, (cell) => new SlotAggregatingState<IN, ACC, OUT>(cell, descriptor));
  }
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V> {
    return this.handle(descriptor, (cell) => new SlotMapState<K, V>(cell));
  }

  /** The value of the state `descriptor` names in another window's slot (a merge reads the merged windows'). */
  valueIn<T>(slot: WindowSlot | undefined, descriptor: ValueStateDescriptor<T>): T | undefined {
    this.getState(descriptor);
    return this.handles.get(descriptor.name)!.cell.readFrom(slot) as T | undefined;
  }

  private handle<H>(descriptor: StateDescriptor, create: (cell: SlotValue) => H): H {
    const known = this.handles.get(descriptor.name);
    if (known !== undefined) {
      if (known.kind !== descriptor.kind) throw new Error(`per-window state ${descriptor.name} is ${known.kind} state, not ${descriptor.kind} state`);
      return known.handle as H;
    }
    const info: ScopedStateInfo = { kind: descriptor.kind, serializer: descriptor.serializer };
    const cell = new SlotValue(descriptor.name, this.field, info, this.slot);
    const handle = create(cell);
    this.handles.set(descriptor.name, { kind: descriptor.kind, handle, cell });
    this.registry.set(descriptor.name, info);
    return handle;
  }
}
