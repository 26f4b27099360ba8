// State descriptors: a state's name (unique per operator), its kind, the functions it folds with,
// its optional TTL and its optional snapshot serializer. A descriptor is what a function hands the
// runtime context to get a state handle; the backend creates the state's table on first use.

import type { ReduceFunction } from "./functions.ts";
import type { StateTtlConfig } from "./state-ttl.ts";

export type StateKind = "value" | "list" | "reducing" | "aggregating" | "map";

/**
 * An incremental aggregation with an accumulator (Flink's AggregateFunction): `add` folds a value
 * into the accumulator, `getResult` reads it out, `merge` combines two accumulators.
 * @example
 * const average: AggregateFunction<number, { sum: number; n: number }, number> = {
 *   createAccumulator: () => ({ sum: 0, n: 0 }),
 *   add: (value, acc) => ({ sum: acc.sum + value, n: acc.n + 1 }),
 *   getResult: (acc) => acc.sum / acc.n,
 *   merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
 * };
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/**
 * Turns a state's stored values into plain, msgpack-friendly data for a snapshot, and back (Flink's
 * TypeSerializer, as far as a heap backend needs one). Only needed for values that are not plain
 * data already: Maps, Sets, class instances. It applies to a value state's value, a reducing
 * state's value, an aggregating state's accumulator, a list state's elements, a map state's values.
 * Keyed state (and window-scoped state) only; a TTL state's wrapper is kept around the converted value.
 * @example
 * const seen = new ValueStateDescriptor<Set<string>>("seen", undefined, {
 *   serializer: { toSnapshot: (set) => [...set], fromSnapshot: (data) => new Set(data as string[]) },
 * });
 */
export interface StateSerializer<T> {
  toSnapshot(value: T): unknown;
  fromSnapshot(data: unknown): T;
}

/** Options every descriptor constructor that takes options accepts. */
export interface StateDescriptorOptions<T> {
  serializer?: StateSerializer<T>;
}

/** What every descriptor has: a name, a kind, an optional TTL and an optional serializer. */
export abstract class StateDescriptor {
  abstract readonly kind: StateKind;
  private ttl: StateTtlConfig | undefined;
  private valueSerializer: StateSerializer<unknown> | undefined;

  constructor(readonly name: string) {
    if (!name) throw new Error("a state descriptor needs a non-empty name");
  }

  /** Gives the state a time-to-live (keyed state only). */
  enableTimeToLive(config: StateTtlConfig): this {
    this.ttl = config;
    return this;
  }

  get ttlConfig(): StateTtlConfig | undefined {
    return this.ttl;
  }

  /** How snapshots carry this state's values (see StateSerializer); undefined: they are plain data. */
  get serializer(): StateSerializer<unknown> | undefined {
    return this.valueSerializer;
  }

  /** Subclasses offer a typed `withSerializer`; the type is erased from here on (methods are bivariant). */
  protected setSerializer(serializer: StateSerializer<unknown> | undefined): this {
    this.valueSerializer = serializer;
    return this;
  }
}

/** Describes a keyed value state: its name (unique per operator), an optional default and serializer. */
export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = "value" as const;
  constructor(name: string, readonly defaultValue?: T, options?: StateDescriptorOptions<T>) {
    super(name);
    this.setSerializer(options?.serializer);
  }

  /** Converts the value for snapshots (see StateSerializer). */
  withSerializer(serializer: StateSerializer<T>): this {
    return this.setSerializer(serializer);
  }
}

/** Describes a list state: keyed (one list per key) or, through an OperatorStateStore, operator state. */
export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = "list" as const;
  /** Never read: it only carries the element type. */
  declare readonly elementType?: T;

  /** Converts each element for snapshots of keyed list state (see StateSerializer). */
  withSerializer(serializer: StateSerializer<T>): this {
    return this.setSerializer(serializer);
  }
}

/** Describes a reducing state: `add` folds each value into one with `reduceFunction`. */
export class ReducingStateDescriptor<T> extends StateDescriptor {
  readonly kind = "reducing" as const;
  readonly reduce: (a: T, b: T) => T;
  constructor(name: string, reduceFunction: ReduceFunction<T>, options?: StateDescriptorOptions<T>) {
    super(name);
    this.reduce = typeof reduceFunction === "function" ? reduceFunction : (a, b) => reduceFunction.reduce(a, b);
    this.setSerializer(options?.serializer);
  }

  /** Converts the reduced value for snapshots (see StateSerializer). */
  withSerializer(serializer: StateSerializer<T>): this {
    return this.setSerializer(serializer);
  }
}

/** Describes an aggregating state: `add` folds each input into an accumulator; `get` returns its result. */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor {
  readonly kind = "aggregating" as const;
  constructor(name: string, readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>, options?: StateDescriptorOptions<ACC>) {
    super(name);
    this.setSerializer(options?.serializer);
  }

  /** Converts the accumulator for snapshots (see StateSerializer). */
  withSerializer(serializer: StateSerializer<ACC>): this {
    return this.setSerializer(serializer);
  }
}

/** Describes a map state (keyed), or a broadcast state when passed to `broadcast(descriptor)`. */
export class MapStateDescriptor<K, V> extends StateDescriptor {
  readonly kind = "map" as const;
  /** Never read: they only carry the key and value types. */
  declare readonly keyType?: K;
  declare readonly valueType?: V;

  /** Converts each map value for snapshots of keyed map state (see StateSerializer); keys stay plain data. */
  withSerializer(serializer: StateSerializer<V>): this {
    return this.setSerializer(serializer);
  }
}
