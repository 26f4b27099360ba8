// State descriptors: a state's name (unique per operator), its kind, the functions it folds with,
// and its optional TTL. A descriptor is what a function hands the runtime context to get a state
// handle; the backend creates the state's table on first use and checks later uses agree.

import type { ReduceFunction } from "../api/functions.ts";
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

/** What every descriptor has: a name, a kind and an optional TTL. */
export abstract class StateDescriptor {
  abstract readonly kind: StateKind;
  private ttl: StateTtlConfig | undefined;

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
}

/** Describes a keyed value state: its name (unique per operator) and an optional default. */
export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = "value" as const;
  constructor(name: string, readonly defaultValue?: T) {
    super(name);
  }
}

/** Describes a list state: keyed (one list per key) or, through an OperatorStateStore, operator state. */
export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = "list" as const;
  /** Never read: it only carries the element type. */
  declare readonly elementType?: T;
}

/** Describes a reducing state: `add` folds each value into one with `reduceFunction`. */
export class ReducingStateDescriptor<T> extends StateDescriptor {
  readonly kind = "reducing" as const;
  readonly reduce: (a: T, b: T) => T;
  constructor(name: string, reduceFunction: ReduceFunction<T>) {
    super(name);
    this.reduce = typeof reduceFunction === "function" ? reduceFunction : (a, b) => reduceFunction.reduce(a, b);
  }
}

/** Describes an aggregating state: `add` folds each input into an accumulator; `get` returns its result. */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor {
  readonly kind = "aggregating" as const;
  constructor(name: string, readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>) {
    super(name);
  }
}

/** Describes a map state (keyed), or a broadcast state when passed to `broadcast(descriptor)`. */
export class MapStateDescriptor<K, V> extends StateDescriptor {
  readonly kind = "map" as const;
  /** Never read: they only carry the key and value types. */
  declare readonly keyType?: K;
  declare readonly valueType?: V;
}
