// Operator (non-keyed) state: named lists per subtask, redistributed on restore by even split
// (each new subtask gets a contiguous share) or by union (each gets everything), and broadcast
// state (each new subtask gets one old subtask's copy). The store snapshots to plain data; the
// redistribution functions are pure.

import type { ListState } from "../core/keyed-state.ts";
import type { ListStateDescriptor, MapStateDescriptor } from "../core/state-descriptors.ts";
import { HeapBroadcastState, type BroadcastState } from "./broadcast-state.ts";
import type { StateEntry } from "./state-table.ts";

export type OperatorListMode = "split" | "union";

/** One named operator state of one subtask. */
export type OperatorStateSnapshot =
  | { name: string; mode: OperatorListMode; elements: unknown[] }
  | { name: string; mode: "broadcast"; entries: StateEntry[] };

/** Hands out a subtask's operator state (Flink's OperatorStateStore). */
export interface OperatorStateStore {
  /** A list whose elements are split evenly among the subtasks on restore. */
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  /** A list of which every subtask gets the union of all subtasks' elements on restore. */
  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
  getRegisteredStateNames(): string[];
}

class OperatorListState<T> implements ListState<T> {
  constructor(private elements: T[], private readonly name: string) {}
  get(): T[] {
    return this.elements.slice();
  }
  add(value: T): void {
    if (value === undefined) throw new Error(`operator list state ${this.name}: cannot add undefined`);
    this.elements.push(value);
  }
  addAll(values: readonly T[]): void {
    for (const value of values) this.add(value);
  }
  update(values: readonly T[]): void {
    this.elements.length = 0;
    this.addAll(values);
  }
  clear(): void {
    this.elements.length = 0;
  }
  /** @internal */
  snapshot(): T[] {
    return this.elements.slice();
  }
}

/** A subtask's operator state on the heap, optionally restored from (redistributed) snapshots. */
export class HeapOperatorStateStore implements OperatorStateStore {
  readonly isRestored: boolean;
  private readonly lists = new Map<string, { mode: OperatorListMode; state: OperatorListState<unknown> }>();
  private readonly broadcasts = new Map<string, HeapBroadcastState<unknown, unknown>>();

  /** `restored`: this subtask's share of a checkpoint (see redistributeOperatorState); none for a fresh start. */
  constructor(restored?: readonly OperatorStateSnapshot[]) {
    this.isRestored = restored !== undefined;
    for (const snapshot of restored ?? []) {
      if (snapshot.mode === "broadcast") this.broadcastState(snapshot.name).restore(snapshot.entries);
      else this.list(snapshot.name, snapshot.mode).addAll(snapshot.elements);
    }
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.list(descriptor.name, "split") as ListState<T>;
  }

  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.list(descriptor.name, "union") as ListState<T>;
  }

  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): HeapBroadcastState<K, V> {
    return this.broadcastState(descriptor.name) as HeapBroadcastState<K, V>;
  }

  getRegisteredStateNames(): string[] {
    return [...this.lists.keys(), ...this.broadcasts.keys()];
  }

  /** Every state as plain data. */
  snapshot(): OperatorStateSnapshot[] {
    const snapshots: OperatorStateSnapshot[] = [];
    for (const [name, { mode, state }] of this.lists) snapshots.push({ name, mode, elements: state.snapshot() });
    for (const [name, state] of this.broadcasts) snapshots.push({ name, mode: "broadcast", entries: state.snapshot() });
    return snapshots;
  }

  private list(name: string, mode: OperatorListMode): OperatorListState<unknown> {
    if (this.broadcasts.has(name)) throw new Error(`operator state ${JSON.stringify(name)} is broadcast state, not list state`);
    let entry = this.lists.get(name);
    if (!entry) {
      entry = { mode, state: new OperatorListState<unknown>([], name) };
      this.lists.set(name, entry);
    } else if (entry.mode !== mode) {
      throw new Error(`operator state ${JSON.stringify(name)} is ${entry.mode === "union" ? "union " : ""}list state; it cannot be used as ${mode === "union" ? "union " : ""}list state`);
    }
    return entry.state;
  }

  private broadcastState(name: string): HeapBroadcastState<unknown, unknown> {
    if (this.lists.has(name)) throw new Error(`operator state ${JSON.stringify(name)} is list state, not broadcast state`);
    let state = this.broadcasts.get(name);
    if (!state) {
      state = new HeapBroadcastState(name);
      this.broadcasts.set(name, state);
    }
    return state;
  }
}

function checkParallelism(parallelism: number): void {
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new Error(`parallelism must be a positive integer, got ${parallelism}`);
}

/**
 * Even-split redistribution: the old subtasks' lists, concatenated in subtask order, cut into
 * `newParallelism` contiguous parts whose sizes differ by at most one (the first parts take the
 * remainder). At an unchanged parallelism every subtask keeps its own list, as in Flink.
 * @example
 * redistributeEvenSplit([[1, 2, 3], [4]], 3); // [[1, 2], [3], [4]]
 */
export function redistributeEvenSplit<T>(lists: readonly (readonly T[])[], newParallelism: number): T[][] {
  checkParallelism(newParallelism);
  if (lists.length === newParallelism) return lists.map((list) => list.slice());
  const all = lists.flat() as T[];
  const base = Math.floor(all.length / newParallelism);
  const remainder = all.length % newParallelism;
  const parts: T[][] = [];
  let start = 0;
  for (let i = 0; i < newParallelism; i++) {
    const size = base + (i < remainder ? 1 : 0);
    parts.push(all.slice(start, start + size));
    start += size;
  }
  return parts;
}

/** Union redistribution: every new subtask gets every element of every old subtask, in subtask order. */
export function redistributeUnion<T>(lists: readonly (readonly T[])[], newParallelism: number): T[][] {
  checkParallelism(newParallelism);
  const all = lists.flat() as T[];
  return Array.from({ length: newParallelism }, () => all.slice());
}

/** Broadcast redistribution: the copies are equal, so new subtask i takes old subtask i mod n's. */
export function redistributeBroadcast<S>(states: readonly S[], newParallelism: number): S[] {
  checkParallelism(newParallelism);
  if (states.length === 0) return [];
  return Array.from({ length: newParallelism }, (_, i) => states[i % states.length]);
}

/**
 * Redistributes a whole operator's state: one snapshot list per old subtask in, one per new
 * subtask out, each state by its mode. A name with different modes in different subtasks is refused.
 */
export function redistributeOperatorState(snapshots: readonly (readonly OperatorStateSnapshot[])[], newParallelism: number): OperatorStateSnapshot[][] {
  checkParallelism(newParallelism);
  const modes = new Map<string, OperatorStateSnapshot["mode"]>();
  for (const subtask of snapshots) {
    for (const state of subtask) {
      const mode = modes.get(state.name);
      if (mode !== undefined && mode !== state.mode) throw new Error(`operator state ${JSON.stringify(state.name)} is ${mode} state in one subtask and ${state.mode} in another`);
      modes.set(state.name, state.mode);
    }
  }
  const result: OperatorStateSnapshot[][] = Array.from({ length: newParallelism }, () => []);
  for (const [name, mode] of modes) {
    const perSubtask = snapshots.map((subtask) => subtask.find((s) => s.name === name));
    if (mode === "broadcast") {
      const copies = perSubtask.filter((s): s is Extract<OperatorStateSnapshot, { mode: "broadcast" }> => s?.mode === "broadcast");
      redistributeBroadcast(copies, newParallelism).forEach((copy, i) => result[i].push({ name, mode, entries: copy.entries.slice() }));
      continue;
    }
    const lists = perSubtask.map((s) => (s !== undefined && s.mode !== "broadcast" ? s.elements : []));
    const parts = mode === "union" ? redistributeUnion(lists, newParallelism) : redistributeEvenSplit(lists, newParallelism);
    parts.forEach((elements, i) => result[i].push({ name, mode, elements }));
  }
  return result;
}
