// The Trigger contract (Flink's): a trigger decides, per (key, window), when the window's function
// runs and when its contents are dropped. It receives elements, event-time and processing-time
// timers and merges; it returns a TriggerResult and keeps its own per-window state and timers.

import type { ValueState, ValueStateDescriptor } from "../state/keyed-state-backend.ts";
import type { Window } from "./windows.ts";

/** What the window operator does after a trigger call. */
export type TriggerResult = "CONTINUE" | "FIRE" | "PURGE" | "FIRE_AND_PURGE";

/** The four results as constants, as in Flink: `TriggerResult.FIRE`. */
export const TriggerResult = {
  CONTINUE: "CONTINUE",
  FIRE: "FIRE",
  PURGE: "PURGE",
  FIRE_AND_PURGE: "FIRE_AND_PURGE",
} as const satisfies Record<TriggerResult, TriggerResult>;

/** True for FIRE and FIRE_AND_PURGE: the window function runs on the current contents. */
export function isFire(result: TriggerResult): boolean {
  return result === "FIRE" || result === "FIRE_AND_PURGE";
}

/** True for PURGE and FIRE_AND_PURGE: the window's contents are dropped (the window itself stays until cleanup). */
export function isPurge(result: TriggerResult): boolean {
  return result === "PURGE" || result === "FIRE_AND_PURGE";
}

/** What a trigger may do for the (key, window) it is called for. */
export interface TriggerContext {
  getCurrentProcessingTime(): number;
  /** The operator's event time: its last watermark (−∞ before the first). */
  getCurrentWatermark(): number;
  /** Calls `onProcessingTime(time, window)` when processing time reaches `time`. One timer per (key, window, time). */
  registerProcessingTimeTimer(time: number): void;
  /** Calls `onEventTime(time, window)` when the watermark reaches `time`. One timer per (key, window, time). */
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** State of this trigger for this key and window; dropped with the window. */
  getPartitionedState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
}

/** The context of `onMerge`: the window is the merge result, the merged windows' state can be folded into it. */
export interface OnMergeContext extends TriggerContext {
  /** Folds the named state of every merged window into the result window's (Flink's mergePartitionedState). */
  mergePartitionedState<T>(descriptor: ValueStateDescriptor<T>, merge: (a: T, b: T) => T): void;
}

/**
 * Decides when a window fires and purges. Subclass it for a custom trigger: `onElement` is
 * required; the time callbacks default to CONTINUE. Keep per-window values in
 * `ctx.getPartitionedState(descriptor)`, never in fields: one trigger object serves every key and
 * window of a subtask.
 * @example
 * class FireOnRed extends Trigger<Light, TimeWindow> {
 *   onElement(light: Light): TriggerResult {
 *     return light.color === "red" ? TriggerResult.FIRE : TriggerResult.CONTINUE;
 *   }
 * }
 */
export abstract class Trigger<T = unknown, W extends Window = Window> {
  /** An element was added to `window`; `timestamp` is its event time (undefined without one). */
  abstract onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult;

  /** An event-time timer registered by this trigger (or the window's cleanup timer) fired. */
  onEventTime(_time: number, _window: W, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(_time: number, _window: W, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  /** True if this trigger supports merging windows (session windows need it). */
  canMerge(): boolean {
    return false;
  }

  /** Windows were merged into `window`: re-register timers and merge state for it. */
  onMerge(_window: W, _ctx: OnMergeContext): void {
    throw new Error(`${this.constructor.name} does not support merging windows`);
  }

  /** The window is being removed: delete this trigger's timers (its state is dropped with the window). */
  clear(_window: W, _ctx: TriggerContext): void {}

  toString(): string {
    return this.constructor.name;
  }
}
