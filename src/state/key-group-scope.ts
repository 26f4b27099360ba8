// The current key of a keyed state backend and the key groups it owns: what every backend (heap,
// LMDB) shares, with each state kind's getter leading to the backend's getStateFor. Setting a key computes its key group once and checks it belongs to this subtask;
// state handles then read the current key, its normalized form and its group's index.

import type { KeyGroupRange } from "../core/key-groups.ts";
import { keyGroupOf } from "../core/key-groups.ts";
import type { AggregatingState, KeyedStateStore, ListState, MapState, ReducingState, StateFor, ValueState } from "../core/keyed-state.ts";
import type { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateDescriptor, ValueStateDescriptor } from "../core/state-descriptors.ts";
import { normalizeKey } from "./state-table.ts";

export interface KeyGroupScopeOptions {
  /** The operator's number of key groups (default 128, the environment's default). */
  maxParallelism?: number;
  /** The key groups of this subtask (default: all of them). */
  keyGroupRange?: KeyGroupRange;
}

export abstract class KeyGroupScope implements KeyedStateStore {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  protected readonly groupCount: number;
  protected key: unknown = undefined;
  protected normalized: unknown = undefined;
  protected groupIndex = 0;
  protected hasKey = false;

  constructor(options: KeyGroupScopeOptions) {
    this.maxParallelism = options.maxParallelism ?? 128;
    this.keyGroupRange = options.keyGroupRange ?? { start: 0, end: this.maxParallelism - 1 };
    const { start, end } = this.keyGroupRange;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end < this.maxParallelism)) {
      throw new Error(`key group range ${start}..${end} does not fit in maxParallelism ${this.maxParallelism}`);
    }
    this.groupCount = end - start + 1;
  }

  /** The handle for a descriptor of any kind, for the current key. */
  abstract getStateFor<D extends StateDescriptor>(descriptor: D): StateFor<D>;

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.getStateFor(descriptor);
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.getStateFor(descriptor);
  }

  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.getStateFor(descriptor);
  }

  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.getStateFor(descriptor);
  }

  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V> {
    return this.getStateFor(descriptor);
  }

  /** Makes `key` current: every state handle reads and writes its state until the next call. */
  setCurrentKey(key: unknown): void {
    // Consecutive records often share a key: the same primitive key again changes nothing.
    if (key === this.key && this.hasKey && typeof key !== "object") return;
    const keyGroup = keyGroupOf(key, this.maxParallelism);
    const index = keyGroup - this.keyGroupRange.start;
    if (index < 0 || index >= this.groupCount) {
      const { start, end } = this.keyGroupRange;
      throw new Error(`key ${String(key)} is in key group ${keyGroup}, outside this subtask's key groups ${start}..${end}`);
    }
    this.key = key;
    this.normalized = normalizeKey(key);
    this.groupIndex = index;
    this.hasKey = true;
  }

  get currentKey(): unknown {
    return this.key;
  }

  get currentNormalizedKey(): unknown {
    return this.normalized;
  }

  /** The current key's key group. */
  get currentKeyGroup(): number {
    return this.keyGroupRange.start + this.groupIndex;
  }

  /** @internal The current key group minus the range start: where state handles look. */
  get currentGroupIndex(): number {
    return this.groupIndex;
  }

  /**
   * Runs `fn` with each of `keys` current ([group index, normalized key, key]) and makes the key
   * that was current before current again afterwards; `still` skips a key removed meanwhile.
   */
  protected forEachKey(keys: readonly [number, unknown, unknown][], still: (index: number, normalized: unknown) => boolean, fn: (key: unknown) => void): void {
    const { key, normalized, groupIndex, hasKey } = this;
    try {
      for (const [index, normalizedKey, original] of keys) {
        if (!still(index, normalizedKey)) continue;
        this.key = original;
        this.normalized = normalizedKey;
        this.groupIndex = index;
        this.hasKey = true;
        fn(original);
      }
    } finally {
      this.key = key;
      this.normalized = normalized;
      this.groupIndex = groupIndex;
      this.hasKey = hasKey;
    }
  }
}
