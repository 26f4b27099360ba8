// Keyed state on disk, in an embedded LMDB environment (one per subtask and operator), for state
// larger than memory. Same surface as the heap backend (the KeyedStateBackend interface) — handles, applyToAllKeys,
// per-key-group snapshots in the same format, restore of any key groups — plus incremental
// snapshots: only the keys changed since the last confirmed checkpoint.

import { systemClock, type Clock } from "../../core/clock.ts";
import { KeyGroupScope } from "../key-group-scope.ts";
import type { KeyGroupStateSnapshot } from "../key-group-snapshots.ts";
import type { AsyncSnapshots, IncrementalSnapshots, KeyedStateBackend, KeyedStateBackendOptions } from "../keyed-state-backend.ts";
import type { StateFor } from "../../core/keyed-state.ts";
import type { StateDescriptor, StateKind } from "../../core/state-descriptors.ts";
import { CheckpointChangeLog, type Confirmation } from "./checkpoint-change-log.ts";
import { applyIncrementalChain, type IncrementalSnapshot } from "./incremental-snapshots.ts";
import { lmdbCells, type LmdbKeyScope } from "./lmdb-state-cells.ts";
import { keyOfPart, keyPartOf, prefixEnd, unpackString } from "./lmdb-state-keys.ts";
import { LmdbStateStore } from "./lmdb-state-store.ts";
import { LmdbStateTable } from "./lmdb-state-table.ts";
import { readDelta, readFullDelta, readFullSnapshot, restoreSnapshots, type StateTables } from "./lmdb-snapshots.ts";
import { stateHandle } from "../state-handles.ts";
import { checkStateUse } from "../stored-values.ts";

export interface LmdbKeyedStateBackendOptions extends KeyedStateBackendOptions {
  /** This subtask's own directory for its LMDB environment; created if missing, cleared when opened. */
  directory: string;
  /** Writes kept in memory before one LMDB transaction commits them (default 16,384). */
  writeBufferSize?: number;
}

/**
 * One keyed operator's state in LMDB, for one subtask's key groups. Interchangeable with the heap
 * HeapKeyedStateBackend; values must be msgpack-friendly (or have a serializer on their descriptor,
 * which then converts on every access), and a value read is a copy (write it back to change it). Map state lists its entries in the byte order of their encoded user keys.
 * @example
 * const backend = new LmdbKeyedStateBackend({ directory: join(stateDir, `${operatorId}-${subtask}`), keyGroupRange, clock });
 * const count = backend.getState(new ValueStateDescriptor("count", 0));
 * backend.setCurrentKey("alice");
 * count.update(count.value()! + 1);
 * const delta = backend.snapshotIncremental(7); // only what changed since the last confirmed checkpoint
 * backend.notifyCheckpointComplete(7);
 * await backend.dispose();
 */
export class LmdbKeyedStateBackend extends KeyGroupScope implements KeyedStateBackend, LmdbKeyScope, StateTables {
  /** A value read is a copy: a change counts only once it is written back. */
  readonly valuesAreLive: boolean = false;
  /** Snapshots can be deltas on the last confirmed checkpoint. */
  readonly incremental: IncrementalSnapshots = this;
  /** Full snapshots are read while the input waits. */
  readonly asyncSnapshots: AsyncSnapshots | undefined = undefined;
  private readonly clock: Clock;
  /** The current key's part of an LMDB key, derived from the normalized key when first asked for. */
  private keyPart = "";
  private keyPartFor: unknown = undefined;
  private hasKeyPart = false;
  private readonly registered = new Map<string, LmdbStateTable>();
  private readonly changes = new CheckpointChangeLog();
  private readonly store: LmdbStateStore;

  constructor(options: LmdbKeyedStateBackendOptions) {
    super(options);
    this.clock = options.clock ?? systemClock;
    if (this.maxParallelism > 32768) throw new Error(`maxParallelism ${this.maxParallelism} is above 32768`);
    this.store = new LmdbStateStore({ directory: options.directory, writeBufferSize: options.writeBufferSize }, this.changes);
  }

  /** @internal The current key's part of an LMDB key. */
  get currentKeyPart(): string {
    if (!this.hasKeyPart || this.keyPartFor !== this.normalized) {
      this.keyPart = keyPartOf(this.normalized);
      this.keyPartFor = this.normalized;
      this.hasKeyPart = true;
    }
    return this.keyPart;
  }

  /** @internal The registered states (for snapshots). */
  get tables(): ReadonlyMap<string, LmdbStateTable> {
    return this.registered;
  }

  /** The handle any descriptor yields (every kind's getter comes here, see KeyGroupScope). */
  getStateFor<D extends StateDescriptor>(descriptor: D): StateFor<D> {
    return stateHandle(descriptor, lmdbCells(this, this.table(descriptor), this.store), this.clock);
  }

  /**
   * Runs `fn` for every key that has state under `descriptor`, with that key current. `fn` may
   * change or clear the state; the key that was current before is current again afterwards.
   */
  applyToAllKeys<D extends StateDescriptor>(descriptor: D, fn: (key: unknown, state: StateFor<D>) => void): void {
    const state = this.getStateFor(descriptor);
    const table = this.registered.get(descriptor.name)!;
    const keys: [number, unknown, unknown][] = [];
    for (let index = 0; index < this.groupCount; index++) {
      for (const part of this.keyPartsOf(table, index)) keys.push([index, unpackString(part.slice(2)), keyOfPart(part)]);
    }
    // A key removed by an earlier call is skipped.
    this.forEachKey(keys, (index, normalized) => this.hasState(table, index, keyPartOf(normalized)), (key) => fn(key, state));
  }

  /** Number of keys with state under the name (for tests and metrics; scans the state). */
  size(name: string): number {
    const table = this.registered.get(name);
    if (!table) return 0;
    let size = 0;
    for (let index = 0; index < this.groupCount; index++) {
      size += table.kind === "map" ? this.keyPartsOf(table, index).length : this.store.count(table.prefix(index), table.prefixEnd(index));
    }
    return size;
  }

  /** Names of the states created or restored so far. */
  stateNames(): string[] {
    return [...this.registered.keys()];
  }

  /** Every key group of this subtask that holds state, as plain data (TTL snapshot cleanup applied). */
  snapshot(): KeyGroupStateSnapshot[] {
    return readFullSnapshot(this.store, this, this.keyGroupRange, this.clock.now());
  }

  /**
   * Loads the key groups of this subtask's range from snapshots taken at any parallelism, by either
   * backend (pass every old subtask's snapshots, concatenated). The next incremental snapshot is full.
   */
  restore(snapshots: readonly KeyGroupStateSnapshot[]): void {
    restoreSnapshots(this.store, this, this.keyGroupRange, snapshots);
    this.changes.reset();
  }

  /**
   * What changed since the last confirmed checkpoint (every key, when none is confirmed yet or
   * `full` is set), as plain data. Changes of snapshots never confirmed are included again.
   * @example
   * const delta = backend.snapshotIncremental(checkpointId);
   * await storage.put(`chk-${checkpointId}/${operatorId}-${subtask}`, pack(delta));
   */
  snapshotIncremental(checkpointId: number, options: { full?: boolean } = {}): IncrementalSnapshot {
    const scope = this.changes.seal(checkpointId, options.full);
    const now = this.clock.now();
    if (scope.kind === "full") return readFullDelta(this.store, this, this.keyGroupRange, now, checkpointId);
    return readDelta(this.store, this, this.keyGroupRange, now, checkpointId, scope.baseCheckpointId, scope.changed);
  }

  /** The checkpoint is complete: the next incremental snapshot builds on it. */
  notifyCheckpointComplete(checkpointId: number): Confirmation {
    return this.changes.confirm(checkpointId);
  }

  /**
   * Restores from a chain (a full base, then deltas — of any subtasks, for rescaling); the next
   * incremental snapshot builds on the chain's last checkpoint.
   */
  restoreFromChain(base: readonly KeyGroupStateSnapshot[] | undefined, deltas: readonly IncrementalSnapshot[]): void {
    restoreSnapshots(this.store, this, this.keyGroupRange, applyIncrementalChain(base, deltas, this.keyGroupRange));
    if (deltas.length === 0) this.changes.reset();
    else this.changes.resetTo(Math.max(...deltas.map((d) => d.checkpointId)));
  }

  /** Releases the LMDB environment (its files stay). The backend cannot be used afterwards. */
  close(): Promise<void> {
    return this.store.close();
  }

  /** Closes and deletes the environment's directory. */
  dispose(): Promise<void> {
    return this.store.dispose();
  }

  /** @internal The registered state, created on first use; a later use must agree on its kind and on TTL. */
  tableFor(name: string, kind: StateKind, hasTtl: boolean): LmdbStateTable {
    let table = this.registered.get(name);
    if (!table) {
      table = new LmdbStateTable(name, kind, hasTtl, this.keyGroupRange);
      this.registered.set(name, table);
    } else {
      checkStateUse(table, kind, hasTtl);
    }
    return table;
  }

  private table(descriptor: StateDescriptor): LmdbStateTable {
    const table = this.tableFor(descriptor.name, descriptor.kind, descriptor.ttlConfig !== undefined);
    if (descriptor.ttlConfig) table.ttlConfig = descriptor.ttlConfig;
    table.register(descriptor.serializer);
    return table;
  }

  /** The distinct key parts with state in one key group (a map's entries share theirs). */
  private keyPartsOf(table: LmdbStateTable, index: number): string[] {
    const prefix = table.prefix(index);
    const parts: string[] = [];
    for (const key of this.store.keys(prefix, table.prefixEnd(index))) {
      const length = (key.charCodeAt(prefix.length) << 8) | key.charCodeAt(prefix.length + 1);
      const part = key.slice(prefix.length, prefix.length + 2 + length);
      if (parts.length === 0 || parts[parts.length - 1] !== part) parts.push(part);
    }
    return parts;
  }

  private hasState(table: LmdbStateTable, index: number, keyPart: string): boolean {
    const key = table.prefix(index) + keyPart;
    return table.kind === "map" ? this.store.keys(key, prefixEnd(key), 1).length > 0 : this.store.get(key) !== undefined;
  }
}
