// What a keyed state backend is, for the operators and the subtask that use one: the current key,
// the state handles by descriptor, per-key-group snapshots and restore, and the capabilities a
// backend declares (values handed out live or as copies; incremental snapshots). The heap backend
// (heap-keyed-state-backend.ts) and the LMDB one (lmdb/) implement it.

import type { Clock } from "../core/clock.ts";
import type { KeyGroupRange } from "../core/key-groups.ts";
import type { KeyedStateStore, StateFor, ValueState } from "../core/keyed-state.ts";
import { ValueStateDescriptor, type StateDescriptor } from "../core/state-descriptors.ts";
import type { KeyGroupScopeOptions } from "./key-group-scope.ts";
import type { KeyGroupStateSnapshot } from "./key-group-snapshots.ts";
import type { IncrementalSnapshot } from "./lmdb/incremental-snapshots.ts";
import { normalizeKey } from "./state-table.ts";

// Kept importable from here, where they were first defined.
export { ValueStateDescriptor };
export type { ValueState };
export { normalizeKey };

export interface KeyedStateBackendOptions extends KeyGroupScopeOptions {
  /** The clock state TTL reads (default: the system clock). */
  clock?: Clock;
}

/** A backend that snapshots only what changed since the last confirmed checkpoint (LMDB) declares it so. */
export interface IncrementalSnapshots {
  snapshotIncremental(checkpointId: number, options?: { full?: boolean }): IncrementalSnapshot;
  /** The checkpoint completed: the next delta builds on it. */
  notifyCheckpointComplete(checkpointId: number): unknown;
}

/** A backend that snapshots without stopping the input (the heap: key groups copied on first access) declares it so. */
export interface AsyncSnapshots {
  /**
   * Starts a snapshot of the state as it is now, and returns at once. `finish()` resolves with each
   * key group that holds state, encoded (encodeKeyGroupSnapshot), in key group order.
   */
  beginSnapshot(): { finish(): Promise<Uint8Array[]> };
}

/** One keyed operator's state for one subtask's key groups (Flink's KeyedStateBackend). */
export interface KeyedStateBackend extends KeyedStateStore {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  /** True when handles hand out the stored values themselves (changing one in place changes the state); false when values read are copies. */
  readonly valuesAreLive: boolean;
  /** Present when the backend can snapshot only what changed since the last confirmed checkpoint. */
  readonly incremental: IncrementalSnapshots | undefined;
  /** Present when the backend can take a full snapshot without stopping the input. */
  readonly asyncSnapshots: AsyncSnapshots | undefined;
  /** Makes `key` current: every state handle reads and writes its state until the next call. */
  setCurrentKey(key: unknown): void;
  readonly currentKey: unknown;
  readonly currentKeyGroup: number;
  /** The handle any descriptor yields (for code that is generic over the state kind). */
  getStateFor<D extends StateDescriptor>(descriptor: D): StateFor<D>;
  /**
   * Runs `fn` for every key that has state under `descriptor`, with that key current (Flink's
   * applyToAllKeys). `fn` may change or clear the state; the key that was current before is current again afterwards.
   */
  applyToAllKeys<D extends StateDescriptor>(descriptor: D, fn: (key: unknown, state: StateFor<D>) => void): void;
  /** Number of keys with state under the name (for tests and metrics). */
  size(name: string): number;
  /** Names of the states created or restored so far. */
  stateNames(): string[];
  /** Every key group of this subtask that holds state, as plain data (TTL snapshot cleanup applied). */
  snapshot(): KeyGroupStateSnapshot[];
  /** Loads this subtask's key groups from snapshots taken at any parallelism, by either backend; other key groups are ignored. */
  restore(snapshots: readonly KeyGroupStateSnapshot[]): void;
  /** Releases what the backend holds outside the heap. */
  dispose(): Promise<void>;
}
