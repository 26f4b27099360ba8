// Broadcast state: a map per MapStateDescriptor that every subtask of an operator holds in full.
// The broadcast side writes it (every subtask receives every broadcast element, so the copies stay
// equal); the other side gets a read-only view. Snapshots are plain [key, value] pairs.

import type { BroadcastState, ReadOnlyBroadcastState } from "../core/broadcast-state.ts";
import { denormalizeKey, normalizeKey, type StateEntry } from "./state-table.ts";

export type { BroadcastState, ReadOnlyBroadcastState } from "../core/broadcast-state.ts";

/** A broadcast state on the heap; keys compare by value, as keyed state keys do. */
export class HeapBroadcastState<K, V> implements BroadcastState<K, V> {
  private readonly map = new Map<unknown, V>();
  /** The same state without its writers: what processElement gets. */
  readonly readOnly: ReadOnlyBroadcastState<K, V>;

  constructor(readonly name: string) {
    this.readOnly = {
      get: (key) => this.get(key),
      contains: (key) => this.contains(key),
      entries: () => this.entries(),
      keys: () => this.keys(),
      values: () => this.values(),
      isEmpty: () => this.isEmpty(),
    };
  }

  get(key: K): V | undefined {
    return this.map.get(normalizeKey(key));
  }
  contains(key: K): boolean {
    return this.map.has(normalizeKey(key));
  }
  entries(): [K, V][] {
    return Array.from(this.map, ([key, value]) => [denormalizeKey(key) as K, value]);
  }
  keys(): K[] {
    return Array.from(this.map.keys(), (key) => denormalizeKey(key) as K);
  }
  values(): V[] {
    return Array.from(this.map.values());
  }
  isEmpty(): boolean {
    return this.map.size === 0;
  }

  put(key: K, value: V): void {
    this.map.set(normalizeKey(key), value);
  }
  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }
  remove(key: K): void {
    this.map.delete(normalizeKey(key));
  }
  clear(): void {
    this.map.clear();
  }

  /** The entries as plain [key, value] pairs. */
  snapshot(): StateEntry[] {
    return this.entries();
  }

  /** Adds the snapshot's entries. */
  restore(entries: readonly StateEntry[]): void {
    for (const [key, value] of entries) this.map.set(normalizeKey(key), value as V);
  }
}
