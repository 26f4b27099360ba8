// The keyed state handles a user function sees (Flink's ValueState, ListState, ReducingState,
// AggregatingState, MapState) and the store that hands them out. Every handle reads and writes
// the state of the key the operator is processing; the backend sets that key per record.

import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from "./state-descriptors.ts";

export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default when there is none. */
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  /** The current key's elements, in the order they were added (a copy; empty when there are none). */
  get(): T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  /** Replaces the elements; an empty list clears the state. */
  update(values: readonly T[]): void;
  clear(): void;
}

export interface ReducingState<T> {
  /** The reduction of every value added for the current key, or undefined when none was. */
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

export interface AggregatingState<IN, OUT> {
  /** The aggregate's result for the current key, or undefined when nothing was added. */
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

/** A map per key. Its keys compare by value, as state keys do (objects by their JSON text). */
export interface MapState<K, V> {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  putAll(entries: Iterable<readonly [K, V]>): void;
  remove(key: K): void;
  contains(key: K): boolean;
  /** Copies, safe to iterate while changing the state. */
  entries(): [K, V][];
  keys(): K[];
  values(): V[];
  isEmpty(): boolean;
  clear(): void;
}

/** The state handle a descriptor yields. */
export type StateFor<D extends StateDescriptor> =
  D extends ValueStateDescriptor<infer T>
    ? ValueState<T>
    : D extends ListStateDescriptor<infer T>
      ? ListState<T>
      : D extends ReducingStateDescriptor<infer T>
        ? ReducingState<T>
        : D extends AggregatingStateDescriptor<infer IN, infer _ACC, infer OUT>
          ? AggregatingState<IN, OUT>
          : D extends MapStateDescriptor<infer K, infer V>
            ? MapState<K, V>
            : never;

/**
 * Hands out keyed state handles by descriptor (Flink's KeyedStateStore); a KeyedRuntimeContext is one.
 * @example
 * const pages = ctx.getMapState(new MapStateDescriptor<string, number>("pages"));
 * pages.put(visit.page, (pages.get(visit.page) ?? 0) + 1);
 */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
}
