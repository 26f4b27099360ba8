// Per-window state (Flink's window-scoped KeyedStateStore): the keyed state kinds over cells whose
// namespace is the window being processed — a named value in that window's slot. The handles are
// the keyed ones (src/state/state-handles.ts); used for trigger state and a process window
// function's windowState(), dropped with the window. Also how one such value becomes snapshot data
// and back: by the kind, TTL and serializer of its descriptor.

import type { Clock } from "../core/clock.ts";
import type { AggregatingState, KeyedStateStore, ListState, MapState, ReducingState, StateFor, ValueState } from "../core/keyed-state.ts";
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateSerializer,
  ValueStateDescriptor,
} from "../core/state-descriptors.ts";
import { liveMapCell } from "../state/heap-state-cells.ts";
import type { StateCell } from "../state/state-cells.ts";
import { stateHandle } from "../state/state-handles.ts";
import { denormalizeKey, normalizeKey } from "../state/state-table.ts";
import { convertEntry, convertStored, type StoredStateInfo } from "../state/stored-values.ts";
import type { WindowSlot } from "./window-state.ts";

/** Which per-window values of a slot a store reads. */
export type SlotValuesField = "triggerState" | "windowState";

/** What a per-window state name holds, learnt from its descriptor when a handle for it is first made. */
export interface ScopedStateInfo extends StoredStateInfo {
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
  if (info.kind === "map") return Array.from(value as Map<unknown, unknown>, ([key, v]) => [denormalizeKey(key), convertEntry(info, v, plain)]);
  return serializer === undefined ? value : convertStored(info, value, plain);
}

/** The inverse of scopedValueToSnapshot. */
export function scopedValueFromSnapshot(data: unknown, info: ScopedStateInfo): unknown {
  const serializer = info.serializer;
  const restore = serializer === undefined ? (v: unknown) => v : (v: unknown) => serializer.fromSnapshot(v);
  switch (info.kind) {
    case "map":
      if (!Array.isArray(data)) throw new Error(`per-window map state ${info.name}: a snapshot value must be an array of [key, value] pairs`);
      return new Map((data as [unknown, unknown][]).map(([key, v]) => [normalizeKey(key), convertEntry(info, v, restore)]));
    case "list":
      if (!Array.isArray(data)) throw new Error(`per-window list state ${info.name}: a snapshot value must be an array`);
      return convertStored(info, data, restore);
    default:
      return convertEntry(info, data, restore);
  }
}

/** One named value in the current window's slot (the cell's namespace); emptied value maps are dropped. */
class SlotCell implements StateCell {
  readonly live = true;

  constructor(
    private readonly info: ScopedStateInfo,
    private readonly field: SlotValuesField,
    private readonly slot: (create: boolean) => WindowSlot | undefined,
  ) {}

  get(): unknown {
    return this.readFrom(this.slot(false));
  }

  /** The value in `slot`; a restored one is converted on this first read and stored converted. */
  readFrom(slot: WindowSlot | undefined): unknown {
    const values = slot?.[this.field];
    const value = values?.get(this.info.name);
    if (!(value instanceof RestoredScopedValue)) return value;
    const restored = scopedValueFromSnapshot(value.data, this.info);
    values!.set(this.info.name, restored);
    return restored;
  }

  put(value: unknown): void {
    const slot = this.slot(true)!;
    const values = slot[this.field] ?? new Map<string, unknown>();
    slot[this.field] = values;
    values.set(this.info.name, value);
  }

  remove(): void {
    const slot = this.slot(false);
    const values = slot?.[this.field];
    if (slot === undefined || values === undefined) return;
    values.delete(this.info.name);
    if (values.size === 0) slot[this.field] = undefined;
  }
}

/**
 * The state of the window a context currently points at, in its slot: `slot(create)` gives that
 * slot (created for writes). One handle per state name, reused for every window.
 */
export class SlotStateStore implements KeyedStateStore {
  private readonly handles = new Map<string, { kind: string; handle: unknown; cell: SlotCell }>();

  /** `registry` learns each state name's kind and serializer, for the operator's snapshots; `clock` is what TTLs read. */
  constructor(
    private readonly field: SlotValuesField,
    private readonly slot: (create: boolean) => WindowSlot | undefined,
    private readonly clock: Clock,
    private readonly registry: ScopedStateRegistry = new Map(),
  ) {}

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.handle(descriptor);
  }
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.handle(descriptor);
  }
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.handle(descriptor);
  }
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.handle(descriptor);
  }
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V> {
    return this.handle(descriptor);
  }

  /** The value of the state `descriptor` names in another window's slot (a merge reads the merged windows'). */
  valueIn<T>(slot: WindowSlot | undefined, descriptor: ValueStateDescriptor<T>): T | undefined {
    this.getState(descriptor);
    return this.handles.get(descriptor.name)!.cell.readFrom(slot) as T | undefined;
  }

  private handle<D extends StateDescriptor>(descriptor: D): StateFor<D> {
    const known = this.handles.get(descriptor.name);
    if (known !== undefined) {
      if (known.kind !== descriptor.kind) throw new Error(`per-window state ${descriptor.name} is ${known.kind} state, not ${descriptor.kind} state`);
      return known.handle as StateFor<D>;
    }
    const info: ScopedStateInfo = { name: descriptor.name, kind: descriptor.kind, hasTtl: descriptor.ttlConfig !== undefined, serializer: descriptor.serializer };
    const cell = new SlotCell(info, this.field, this.slot);
    const handle = stateHandle(descriptor, { value: () => cell, map: () => liveMapCell(cell) }, this.clock);
    this.handles.set(descriptor.name, { kind: descriptor.kind, handle, cell });
    this.registry.set(descriptor.name, info);
    return handle;
  }
}
