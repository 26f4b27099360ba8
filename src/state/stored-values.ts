// How a registered state's stored values look, whatever keeps them: a value per kind (a list's
// elements, a map's values), each inside its TtlValue wrapper when the state has a TTL. Pure
// helpers shared by the heap and LMDB tables and the window operator's per-window state.

import type { StateKind } from "../core/state-descriptors.ts";
import type { TtlValue } from "../core/state-ttl.ts";

/** What a table knows of the state it holds. */
export interface StoredStateInfo {
  readonly name: string;
  readonly kind: StateKind;
  readonly hasTtl: boolean;
}

/** One value with `convert` applied, inside its TtlValue wrapper for TTL states (the wrapper is copied, not changed). */
export function convertEntry(info: StoredStateInfo, entry: unknown, convert: (value: unknown) => unknown): unknown {
  if (!info.hasTtl) return convert(entry);
  const wrapped = entry as TtlValue<unknown> | null;
  if (typeof wrapped !== "object" || wrapped === null || typeof wrapped.timestamp !== "number") {
    throw new Error(`keyed state ${info.name}: a TTL state's value must be a { value, timestamp } object`);
  }
  return { value: convert(wrapped.value), timestamp: wrapped.timestamp };
}

/** A stored value with `convert` applied to each value in it: each list element, each value of a map (changed in place), else the value. */
export function convertStored(info: StoredStateInfo, stored: unknown, convert: (value: unknown) => unknown): unknown {
  switch (info.kind) {
    case "list":
      return (stored as unknown[]).map((element) => convertEntry(info, element, convert));
    case "map": {
      const map = stored as Map<unknown, unknown>;
      map.forEach((value, userKey) => map.set(userKey, convertEntry(info, value, convert)));
      return map;
    }
    default:
      return convertEntry(info, stored, convert);
  }
}

/** A later use of a registered state must agree with the first on its kind and on having a TTL. */
export function checkStateUse(info: StoredStateInfo, kind: StateKind, hasTtl: boolean): void {
  const { name } = info;
  if (info.kind !== kind) throw new Error(`state ${JSON.stringify(name)} is ${info.kind} state; it cannot be used as ${kind} state`);
  if (info.hasTtl !== hasTtl) {
    throw new Error(`state ${JSON.stringify(name)} was created ${info.hasTtl ? "with" : "without"} a TTL; turning TTL ${hasTtl ? "on" : "off"} for existing state is not supported`);
  }
}
