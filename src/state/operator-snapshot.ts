// One subtask's snapshot: per chained operator (by uid) its keyed state and timers by key group,
// its operator state, and a source's splits; how it becomes bytes; and, pure, which share of every
// old subtask's snapshot a new subtask restores (the same or another parallelism).

import { Packr } from "msgpackr";
import type { DataElement } from "../messages/schema.ts";
import type { StateHandle } from "../checkpoint/checkpoint-metadata.ts";
import type { IncrementalSnapshot } from "./lmdb/incremental-snapshots.ts";
import type { KeyGroupStateSnapshot, KeyGroupTimersSnapshot } from "./key-group-snapshots.ts";
import { keyGroupFromDirect } from "./key-group-codec.ts";
import { redistributeEvenSplit, redistributeOperatorState, type OperatorStateSnapshot } from "./operator-state.ts";

export interface OperatorSnapshot {
  uid: string;
  keyed?: KeyGroupStateSnapshot[];
  /** Incremental checkpoints: what changed since the subtask's previous snapshot in its chain. */
  keyedDelta?: IncrementalSnapshot;
  timers?: KeyGroupTimersSnapshot[];
  operatorState?: OperatorStateSnapshot[];
  /** A source reader's splits; absent when the reader keeps no position. */
  splits?: unknown[];
}

export const SUBTASK_SNAPSHOT_FORMAT = 1;

/** An unaligned checkpoint's in-flight data: what each input channel had delivered before its barrier but was not yet in the state, and what each output had not yet sent. */
export interface ChannelStateSnapshot {
  inputs: { edgeId: string; producer: number; elements: DataElement[] }[];
  outputs: { edgeId: string; consumer: number; elements: DataElement[] }[];
}

/** One earlier snapshot an incremental one builds on. */
export interface ChainLink {
  checkpointId: number;
  handle: StateHandle;
}

export interface SubtaskSnapshot {
  format: typeof SUBTASK_SNAPSHOT_FORMAT;
  operators: OperatorSnapshot[];
  channels?: ChannelStateSnapshot;
  /** Incremental: the earlier snapshots (oldest first, starting at a full one) whose keyed deltas come before this one's. */
  chain?: ChainLink[];
}

// Records for plain objects, msgpack maps for Maps, and msgpackr's extensions (moreTypes) keep
// Maps, Sets, Dates, bigints, typed arrays and undefined in user state as they were. (Structured
// cloning would add cyclic references at 5-6x the encoding time, which runs while input waits.)
export const SNAPSHOT_CODEC_OPTIONS = { mapsAsObjects: false, moreTypes: true } as const;
const options = SNAPSHOT_CODEC_OPTIONS;
const packr = new Packr(options);

export function encodeSubtaskSnapshot(snapshot: SubtaskSnapshot): Uint8Array {
  return packr.pack(snapshot);
}

/** Encodes the operator part alone (an unaligned checkpoint captures it before its channel state is known). */
export function encodeOperatorSnapshots(operators: OperatorSnapshot[]): Uint8Array {
  return packr.pack(operators);
}

/** One key group of a backend's snapshot, encoded alone (see AsyncSnapshots). */
export function encodeKeyGroupSnapshot(snapshot: KeyGroupStateSnapshot): Uint8Array {
  return packr.pack(snapshot);
}

/** An operator's keyed state taken after the barrier, key group by key group: [index in `operators`, encoded key groups]. */
export type KeyedParts = [operatorIndex: number, groups: Uint8Array[]][];

/**
 * A snapshot whose operator part was encoded at the barrier and whose keyed state was taken
 * afterwards (AsyncSnapshots). Decoding puts each operator's key groups back into its `keyed`.
 */
export function encodeWithKeyedParts(packedOperators: Uint8Array, keyedParts: KeyedParts, chain?: ChainLink[]): Uint8Array {
  return packr.pack({ format: SUBTASK_SNAPSHOT_FORMAT, operators: [], packedOperators, keyedParts, chain });
}

/** A snapshot whose operator part was encoded earlier, with its channel state. */
export function encodeWithPackedOperators(packedOperators: Uint8Array | undefined, channels: ChannelStateSnapshot, chain?: ChainLink[]): Uint8Array {
  return packr.pack({ format: SUBTASK_SNAPSHOT_FORMAT, operators: [], packedOperators, channels, chain });
}

function unpack(bytes: Uint8Array, what: string): unknown {
  try {
    return new Packr(options).unpack(bytes);
  } catch (error) {
    throw new Error(`${what}: the state is not readable (${(error as Error).message})`);
  }
}

export function decodeSubtaskSnapshot(bytes: Uint8Array, what: string): SubtaskSnapshot {
  const value = unpack(bytes, what) as (Partial<SubtaskSnapshot> & { packedOperators?: Uint8Array; keyedParts?: KeyedParts }) | null;
  if (value?.packedOperators instanceof Uint8Array) value.operators = unpack(value.packedOperators, what) as OperatorSnapshot[];
  if (value?.keyedParts !== undefined) restoreKeyedParts(value.operators, value.keyedParts, what);
  const snapshot = value as Partial<SubtaskSnapshot> | null;
  if (snapshot?.format !== SUBTASK_SNAPSHOT_FORMAT || !Array.isArray(snapshot.operators)) {
    throw new Error(`${what}: unknown state format ${JSON.stringify(snapshot?.format)} (this weir reads format ${SUBTASK_SNAPSHOT_FORMAT})`);
  }
  return snapshot as SubtaskSnapshot;
}

function restoreKeyedParts(operators: OperatorSnapshot[] | undefined, keyedParts: unknown, what: string): void {
  if (!Array.isArray(operators) || !Array.isArray(keyedParts)) throw new Error(`${what}: the keyed state of the snapshot is not readable`);
  for (const entry of keyedParts) {
    const [index, groups] = Array.isArray(entry) ? entry : [];
    const operator = operators[index as number];
    if (operator === undefined || !Array.isArray(groups)) throw new Error(`${what}: the keyed state of the snapshot is not readable`);
    operator.keyed = groups.map((group: unknown) => {
      if (!(group instanceof Uint8Array)) throw new Error(`${what}: a key group of the snapshot is not readable`);
      return keyGroupFromDirect(unpack(group, what), what) as KeyGroupStateSnapshot;
    });
  }
}

/** One operator's state as a new subtask restores it. */
export interface RestoredOperatorState {
  /** Every old subtask's key groups: the backend keeps those of its own range. */
  keyed: KeyGroupStateSnapshot[];
  timers: KeyGroupTimersSnapshot[];
  /** This subtask's share of list, union and broadcast state. */
  operatorState: OperatorStateSnapshot[];
  /** This reader's share of the splits; undefined when the old readers kept none (replay from the start). */
  splits: unknown[] | undefined;
}

export interface OldSubtaskSnapshot {
  vertexId?: string;
  subtaskIndex: number;
  snapshot: SubtaskSnapshot;
}

/**
 * The share of operator `uid`'s state for new subtask `newIndex` of `newParallelism`, from the
 * snapshots of the old subtasks (which ran at `oldParallelism`; a subtask without state of the
 * operator counts as empty). Keyed state moves by key group, list state is split evenly, union
 * state goes to all, broadcast state is copied, splits are split evenly.
 * @example
 * const mine = restoredStateFor("counter", old, 2, 0, 3);
 * backend.restore(mine.keyed);
 */
export function restoredStateFor(uid: string, old: readonly OldSubtaskSnapshot[], oldParallelism: number, newIndex: number, newParallelism: number): RestoredOperatorState {
  const perOld: (OperatorSnapshot | undefined)[] = Array.from({ length: oldParallelism }, () => undefined);
  for (const { subtaskIndex, snapshot } of old) {
    const mine = snapshot.operators.find((o) => o.uid === uid);
    if (mine && subtaskIndex < oldParallelism) perOld[subtaskIndex] = mine;
  }
  const present = perOld.filter((o): o is OperatorSnapshot => o !== undefined);
  const operatorLists = perOld.map((o) => o?.operatorState ?? []);
  const keepsSplits = present.some((o) => o.splits !== undefined);
  return {
    keyed: present.flatMap((o) => o.keyed ?? []),
    timers: present.flatMap((o) => o.timers ?? []),
    operatorState: redistributeOperatorState(operatorLists, newParallelism)[newIndex],
    splits: keepsSplits ? redistributeEvenSplit(perOld.map((o) => o?.splits ?? []), newParallelism)[newIndex] : undefined,
  };
}
