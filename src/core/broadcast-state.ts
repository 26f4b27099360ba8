// Broadcast state as a user function sees it (Flink's BroadcastState): a map every subtask holds in
// full, written by the broadcast side, read by the other.

/** What the non-broadcast side sees: reads only. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  /** Copies, in insertion order. */
  entries(): [K, V][];
  keys(): K[];
  values(): V[];
  isEmpty(): boolean;
}

/** What the broadcast side sees: reads and writes. */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  putAll(entries: Iterable<readonly [K, V]>): void;
  remove(key: K): void;
  clear(): void;
}
