// Where one keyed state's value lives for the current key and namespace: a cell. Every backend
// supplies cells (the heap keeps them in per-key-group maps, LMDB in its key space, the window
// operator in the slot of the window being processed — its namespace), and the state kinds are
// written once over them (keyed-states.ts), TTL once over those (ttl-states.ts).

/** The stored value of one state for the current key and namespace. */
export interface StateCell {
  /**
   * Values read are the stored objects themselves (the heap, window slots): a change made in place
   * is already stored. When false (LMDB) a value read is a copy and counts once it is put back.
   */
  readonly live: boolean;
  /** The value, or undefined when there is none. */
  get(): unknown;
  /** Stores `value` (never undefined: remove() instead). */
  put(value: unknown): void;
  remove(): void;
}

/** Map state's cell: entries by user key (compared by value, as state keys are). */
export interface MapStateCell {
  getEntry(userKey: unknown): unknown;
  hasEntry(userKey: unknown): boolean;
  putEntry(userKey: unknown, value: unknown): void;
  /** Removes one entry; the map goes once it is empty. */
  removeEntry(userKey: unknown): void;
  /** The entries as [user key, value] (at most `limit`). */
  entries(limit?: number): [unknown, unknown][];
  remove(): void;
}

/** A store's cells for one registered state: `value()` for every kind but map, `map()` for map state. */
export interface StateCells {
  value(): StateCell;
  map(): MapStateCell;
}
