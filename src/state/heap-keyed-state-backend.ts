// Heap keyed state, organised by key group: per state name, one map per key group of the subtask's
// range, from the normalized key to the value. The keyed operator sets the current key once per
// record; that computes the key's group once, so state accesses are an array index and a lookup.
// Snapshots are per key group and restore keeps only this subtask's groups (rescaling); values
// that are not plain data go through their descriptor's serializer (see StateSerializer).

import { systemClock, type Clock } from "../core/clock.ts";
import { KeyGroupScope } from "./key-group-scope.ts";
import { keyGroupsInRange, type KeyGroupStateSnapshot, type StateTableSnapshot } from "./key-group-snapshots.ts";
import type { StateFor } from "../core/keyed-state.ts";
import type { StateDescriptor, StateKind } from "../core/state-descriptors.ts";
import { heapCells } from "./heap-state-cells.ts";
import { KeyGroupCapture } from "./key-group-capture.ts";
import { DirectKeyGroupWriter } from "./key-group-codec.ts";
import type { AsyncSnapshots, IncrementalSnapshots, KeyedStateBackend, KeyedStateBackendOptions } from "./keyed-state-backend.ts";
import { encodeKeyGroupSnapshot } from "./operator-snapshot.ts";
import { stateHandle } from "./state-handles.ts";
import { denormalizeKey, StateTable } from "./state-table.ts";
import { checkStateUse } from "./stored-values.ts";

const STATE_KINDS: readonly StateKind[] = ["value", "list", "reducing", "aggregating", "map"];

/**
 * One keyed operator's state on the heap, for one subtask's key groups.
 * @example
 * const backend = new HeapKeyedStateBackend({ maxParallelism: 128, keyGroupRange: keyGroupRangeFor(0, 2, 128), clock });
 * const count = backend.getState(new ValueStateDescriptor("count", 0));
 * backend.setCurrentKey("alice");
 * count.update(count.value()! + 1);
 * const snapshot = backend.snapshot(); // per key group, plain data
 */
export class HeapKeyedStateBackend extends KeyGroupScope implements KeyedStateBackend {
  /** State handles hand out the stored values themselves: changing a value in place changes the state. */
  readonly valuesAreLive: boolean = true;
  /** Heap snapshots are always full. */
  readonly incremental: IncrementalSnapshots | undefined = undefined;
  /** Snapshots copy each key group on its first access afterwards, so the input does not wait for them. */
  readonly asyncSnapshots: AsyncSnapshots = this;
  /** @internal The snapshot being taken, if any: state cells let it copy a key group before touching it. */
  capture: KeyGroupCapture | undefined = undefined;
  private readonly clock: Clock;
  private readonly tables = new Map<string, StateTable>();
  private directWriter: DirectKeyGroupWriter | undefined;

  constructor(options: KeyedStateBackendOptions = {}) {
    super(options);
    this.clock = options.clock ?? systemClock;
  }

  /** The handle any descriptor yields (every kind's getter comes here, see KeyGroupScope). */
  getStateFor<D extends StateDescriptor>(descriptor: D): StateFor<D> {
    return stateHandle(descriptor, heapCells(this, this.table(descriptor)), this.clock);
  }


  /**
   * Runs `fn` for every key that has state under `descriptor`, with that key current (Flink's
   * applyToAllKeys, behind KeyedBroadcastProcessFunction's applyToKeyedState). `fn` may change or
   * clear the state; the key that was current before is current again afterwards.
   */
  applyToAllKeys<D extends StateDescriptor>(descriptor: D, fn: (key: unknown, state: StateFor<D>) => void): void {
    const state = this.getStateFor(descriptor);
    const table = this.tables.get(descriptor.name)!;
    const keys: [number, unknown, unknown][] = [];
    table.groups.forEach((group, index) => group?.forEach((_, normalized) => keys.push([index, normalized, denormalizeKey(normalized)])));
    // A key removed by an earlier call is skipped.
    this.forEachKey(keys, (index, normalized) => table.groups[index]?.has(normalized) === true, (key) => fn(key, state));
  }

  /** Number of keys with state under the name (for tests and metrics). */
  size(name: string): number {
    return this.tables.get(name)?.size() ?? 0;
  }

  /** Releases what the backend holds outside the heap (nothing here; the LMDB backend deletes its files). */
  dispose(): Promise<void> {
    return Promise.resolve();
  }

  /** Names of the states created or restored so far. */
  stateNames(): string[] {
    return [...this.tables.keys()];
  }

  /** Every key group of this subtask that holds state, as plain data (TTL snapshot cleanup applied). */
  snapshot(): KeyGroupStateSnapshot[] {
    const now = this.clock.now();
    const snapshots: KeyGroupStateSnapshot[] = [];
    for (let index = 0; index < this.groupCount; index++) {
      const snapshot = this.groupSnapshot(index, now);
      if (snapshot !== undefined) snapshots.push(snapshot);
    }
    return snapshots;
  }

  /**
   * The state as it is now, taken without stopping the input: each key group is encoded on its
   * first access from here on, or by `finish()` in short slices (see KeyGroupCapture). A snapshot
   * still being taken when the next begins is completed first.
   */
  beginSnapshot(): KeyGroupCapture {
    this.capture?.takeAll();
    const now = this.clock.now();
    const capture: KeyGroupCapture = new KeyGroupCapture(
      this.groupCount,
      (index) => {
        const direct = this.directGroup(index);
        if (direct !== undefined) return direct;
        const snapshot = this.groupSnapshot(index, now);
        return snapshot === undefined ? null : encodeKeyGroupSnapshot(snapshot);
      },
      () => {
        if (this.capture === capture) this.capture = undefined;
      },
    );
    this.capture = capture;
    return capture;
  }

  /** Key group `index` encoded directly from the tables (see DirectKeyGroupWriter); undefined when it cannot be. */
  private directGroup(index: number): Uint8Array | null | undefined {
    const tables = [...this.tables.values()];
    if (!tables.every((table) => table.storesSnapshotValues)) return undefined;
    this.directWriter ??= new DirectKeyGroupWriter();
    return this.directWriter.encode(this.keyGroupRange.start + index, index, tables);
  }

  private groupSnapshot(index: number, now: number): KeyGroupStateSnapshot | undefined {
    const tables: StateTableSnapshot[] = [];
    for (const table of this.tables.values()) {
      const entries = table.snapshotGroup(index, now);
      if (entries.length > 0) tables.push({ name: table.name, kind: table.kind, ttl: table.hasTtl, entries });
    }
    return tables.length > 0 ? { keyGroup: this.keyGroupRange.start + index, tables } : undefined;
  }

  /**
   * Loads the key groups of this subtask's range from snapshots taken at any parallelism (pass
   * every old subtask's snapshots, concatenated); key groups outside the range are ignored.
   */
  restore(snapshots: readonly KeyGroupStateSnapshot[]): void {
    for (const group of keyGroupsInRange(snapshots, this.keyGroupRange)) {
      for (const snapshot of group.tables) {
        if (!STATE_KINDS.includes(snapshot.kind)) throw new Error(`keyed state snapshot of ${snapshot.name}: unknown state kind ${String(snapshot.kind)}`);
        this.tableFor(snapshot.name, snapshot.kind, snapshot.ttl).restoreGroup(group.keyGroup - this.keyGroupRange.start, snapshot.entries);
      }
    }
  }

  private table(descriptor: StateDescriptor): StateTable {
    const table = this.tableFor(descriptor.name, descriptor.kind, descriptor.ttlConfig !== undefined);
    if (descriptor.ttlConfig) table.ttlConfig = descriptor.ttlConfig;
    // Converts restored values through the descriptor's serializer the first time (see StateTable.register).
    table.register(descriptor.serializer);
    return table;
  }

  /** The named table, created on first use; a later use must agree on its kind and on TTL. */
  private tableFor(name: string, kind: StateKind, hasTtl: boolean): StateTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new StateTable(name, kind, hasTtl, this.groupCount);
      this.tables.set(name, table);
    } else {
      checkStateUse(table, kind, hasTtl);
    }
    return table;
  }
}
