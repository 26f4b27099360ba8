// Shared by the API end-to-end tests: a rich map that tags each record with the subtask that saw
// it, to check where sources, partitioners and keyBy place records.

import type { MapFunction, RuntimeContext } from "../../src/index.ts";
import { compare } from "./comparisons.ts";

export interface Tagged<T> {
  value: T;
  subtask: number;
}

/** A rich map: `open` receives the runtime context, `map` tags each record with its subtask index. */
export function tagSubtask<T>(): MapFunction<T, Tagged<T>> {
  return {
    subtask: -1,
    open(ctx: RuntimeContext) {
      this.subtask = ctx.subtaskIndex;
    },
    map(value: T): Tagged<T> {
      return { value, subtask: this.subtask };
    },
  } as MapFunction<T, Tagged<T>> & { subtask: number };
}

/** Values grouped by the subtask that saw them, each group sorted. */
export function valuesBySubtask<T>(tagged: readonly Tagged<T>[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const { value, subtask } of tagged) groups.set(subtask, [...(groups.get(subtask) ?? []), value]);
  for (const values of groups.values()) values.sort(compare);
  return groups;
}
