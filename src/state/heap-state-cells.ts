// The heap backend's cells: the current key's entry in its key group's map of a StateTable. Each
// access reads the key group index and normalized key the backend computed in setCurrentKey: one
// array index and one map lookup, no allocation. Values are stored as they are (live); map state
// over any live cell is a Map of normalized user keys (also used by the window's per-window state).

import type { KeyGroupCapture } from "./key-group-capture.ts";
import type { MapStateCell, StateCell, StateCells } from "./state-cells.ts";
import { denormalizeKey, normalizeKey, type StateTable } from "./state-table.ts";

/** The backend as the cells see it: where the current key's state lives, and a snapshot being taken. */
export interface CurrentKeyScope {
  /** The current key's key group minus the range start. */
  readonly currentGroupIndex: number;
  readonly currentNormalizedKey: unknown;
  /** Set while a snapshot is being taken: a key group is copied before its first access. */
  readonly capture: KeyGroupCapture | undefined;
}

class HeapCell implements StateCell {
  readonly live = true;
  private readonly groups: (Map<unknown, unknown> | undefined)[];

  constructor(private readonly scope: CurrentKeyScope, private readonly table: StateTable) {
    this.groups = table.groups;
  }

  // Every access first lets a snapshot in progress copy the key group (values are live: even a
  // read hands out an object the caller may change).
  get(): unknown {
    const scope = this.scope;
    const capture = scope.capture;
    if (capture !== undefined) capture.touch(scope.currentGroupIndex);
    const group = this.groups[scope.currentGroupIndex];
    return group === undefined ? undefined : group.get(scope.currentNormalizedKey);
  }

  put(value: unknown): void {
    const scope = this.scope;
    const capture = scope.capture;
    if (capture !== undefined) capture.touch(scope.currentGroupIndex);
    this.table.groupForWrite(scope.currentGroupIndex).set(scope.currentNormalizedKey, value);
  }

  remove(): void {
    const scope = this.scope;
    const capture = scope.capture;
    if (capture !== undefined) capture.touch(scope.currentGroupIndex);
    this.groups[scope.currentGroupIndex]?.delete(scope.currentNormalizedKey);
  }
}

/**
 * Map state over a cell whose values are live (the heap, a window's slot): the cell holds a Map
 * from normalized user keys to values, created with the first entry and removed with the last.
 */
class LiveMapCell implements MapStateCell {
  constructor(private readonly cell: StateCell) {}

  private map(): Map<unknown, unknown> | undefined {
    return this.cell.get() as Map<unknown, unknown> | undefined;
  }

  getEntry(userKey: unknown): unknown {
    return this.map()?.get(normalizeKey(userKey));
  }

  hasEntry(userKey: unknown): boolean {
    return this.map()?.has(normalizeKey(userKey)) ?? false;
  }

  putEntry(userKey: unknown, value: unknown): void {
    let map = this.map();
    if (map === undefined) {
      map = new Map();
      this.cell.put(map);
    }
    map.set(normalizeKey(userKey), value);
  }

  removeEntry(userKey: unknown): void {
    const map = this.map();
    if (map === undefined) return;
    map.delete(normalizeKey(userKey));
    if (map.size === 0) this.cell.remove();
  }

  entries(limit = Number.POSITIVE_INFINITY): [unknown, unknown][] {
    const map = this.map();
    const entries: [unknown, unknown][] = [];
    if (map === undefined) return entries;
    for (const [key, value] of map) {
      if (entries.length >= limit) break;
      entries.push([denormalizeKey(key), value]);
    }
    return entries;
  }

  remove(): void {
    this.cell.remove();
  }
}

/** Map state's cell over a live cell (see LiveMapCell). */
export function liveMapCell(cell: StateCell): MapStateCell {
  return new LiveMapCell(cell);
}

/** The cells of one heap state table, for the backend's current key. */
export function heapCells(scope: CurrentKeyScope, table: StateTable): StateCells {
  return { value: () => new HeapCell(scope, table), map: () => new LiveMapCell(new HeapCell(scope, table)) };
}
