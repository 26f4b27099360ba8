// Heap keyed state: per state name, a map from key to value, scoped to the key the operator is
// processing (set once per record by the keyed operator). The full state API, key-group
// snapshots and other backends build on this.

/** Describes a keyed value state: its name (unique per operator) and an optional default. */
export class ValueStateDescriptor<T> {
  constructor(readonly name: string, readonly defaultValue?: T) {
    if (!name) throw new Error("a state descriptor needs a non-empty name");
  }
}

export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default when there is none. */
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** Map keys that compare by value: primitives as they are, anything else by its JSON text. */
export function normalizeKey(key: unknown): unknown {
  switch (typeof key) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return key;
    default:
      return key === undefined || key === null ? key : `\u0000${JSON.stringify(key)}`;
  }
}

export class KeyedStateBackend {
  private key: unknown;
  private normalized: unknown;
  private readonly tables = new Map<string, Map<unknown, unknown>>();

  setCurrentKey(key: unknown): void {
    this.key = key;
    this.normalized = normalizeKey(key);
  }

  get currentKey(): unknown {
    return this.key;
  }

  get currentNormalizedKey(): unknown {
    return this.normalized;
  }

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    let table = this.tables.get(descriptor.name);
    if (!table) {
      table = new Map();
      this.tables.set(descriptor.name, table);
    }
    return new HeapValueState<T>(this, table, descriptor.defaultValue);
  }

  /** Number of keys with a value in the named state (for tests and metrics). */
  size(name: string): number {
    return this.tables.get(name)?.size ?? 0;
  }
}

class HeapValueState<T> implements ValueState<T> {
  constructor(private readonly backend: KeyedStateBackend, private readonly table: Map<unknown, unknown>, private readonly defaultValue: T | undefined) {}

  value(): T | undefined {
    // One lookup, not has() + get(): update() never stores undefined, so undefined means absent.
    const value = this.table.get(this.backend.currentNormalizedKey) as T | undefined;
    return value === undefined ? this.defaultValue : value;
  }

  update(value: T): void {
    if (value === undefined) this.table.delete(this.backend.currentNormalizedKey);
    else this.table.set(this.backend.currentNormalizedKey, value);
  }

  clear(): void {
    this.table.delete(this.backend.currentNormalizedKey);
  }
}
