// Runs a trigger alone against a trace of steps for one window — elements, watermarks, processing
// time, merges — with an in-memory TriggerContext (timers and state), and records every call's
// result. No operator, no clock: the same trace always gives the same results.

import type { ValueState, ValueStateDescriptor } from "../../src/index.ts";
import type { OnMergeContext, Trigger, TriggerResult, Window } from "../../src/index.ts";

export type TriggerStep =
  | { kind: "element"; timestamp: number | undefined }
  | { kind: "watermark"; time: number }
  | { kind: "processing"; time: number }
  | { kind: "clear" };

export const element = (timestamp?: number): TriggerStep => ({ kind: "element", timestamp });
export const watermark = (time: number): TriggerStep => ({ kind: "watermark", time });
export const processingTime = (time: number): TriggerStep => ({ kind: "processing", time });
export const clear: TriggerStep = { kind: "clear" };

/** Timers and state of one window, as the operator would keep them. */
export class FakeTriggerContext implements OnMergeContext {
  watermark = -Infinity;
  now = 0;
  readonly eventTimers = new Set<number>();
  readonly processingTimers = new Set<number>();
  readonly state = new Map<string, unknown>();
  /** For onMerge: the state of the windows being merged. */
  mergedStates: Map<string, unknown>[] = [];

  getCurrentProcessingTime(): number {
    return this.now;
  }
  getCurrentWatermark(): number {
    return this.watermark;
  }
  registerProcessingTimeTimer(time: number): void {
    this.processingTimers.add(time);
  }
  registerEventTimeTimer(time: number): void {
    this.eventTimers.add(time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.processingTimers.delete(time);
  }
  deleteEventTimeTimer(time: number): void {
    this.eventTimers.delete(time);
  }
  getPartitionedState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    const state = this.state;
    return {
      value: () => state.get(descriptor.name) as T | undefined,
      update: (value: T) => void state.set(descriptor.name, value),
      clear: () => void state.delete(descriptor.name),
    };
  }
  mergePartitionedState<T>(descriptor: ValueStateDescriptor<T>, merge: (a: T, b: T) => T): void {
    let merged = this.state.get(descriptor.name) as T | undefined;
    for (const other of this.mergedStates) {
      const value = other.get(descriptor.name) as T | undefined;
      if (value !== undefined) merged = merged === undefined ? value : merge(merged, value);
    }
    if (merged !== undefined) this.state.set(descriptor.name, merged);
  }
}

/**
 * Feeds the steps to `trigger` for `window` and returns one line per trigger call:
 * `element@ts → RESULT`, `event-time@t → RESULT`, `processing-time@t → RESULT`.
 * Watermarks and processing time fire due timers in time order, as the timer service does.
 */
export function runTriggerTrace<W extends Window>(trigger: Trigger<unknown, W>, window: W, steps: readonly TriggerStep[], ctx = new FakeTriggerContext()): string[] {
  const results: string[] = [];
  const record = (what: string, result: TriggerResult) => results.push(`${what} → ${result}`);
  for (const step of steps) {
    switch (step.kind) {
      case "element":
        record(`element@${step.timestamp}`, trigger.onElement("x", step.timestamp, window, ctx));
        break;
      case "watermark":
        ctx.watermark = step.time;
        for (let due = nextDue(ctx.eventTimers, step.time); due !== undefined; due = nextDue(ctx.eventTimers, step.time)) {
          ctx.eventTimers.delete(due);
          record(`event-time@${due}`, trigger.onEventTime(due, window, ctx));
        }
        break;
      case "processing":
        ctx.now = step.time;
        for (let due = nextDue(ctx.processingTimers, step.time); due !== undefined; due = nextDue(ctx.processingTimers, step.time)) {
          ctx.processingTimers.delete(due);
          record(`processing-time@${due}`, trigger.onProcessingTime(due, window, ctx));
        }
        break;
      case "clear":
        trigger.clear(window, ctx);
        break;
    }
  }
  return results;
}

function nextDue(timers: Set<number>, time: number): number | undefined {
  let due: number | undefined;
  for (const t of timers) if (t <= time && (due === undefined || t < due)) due = t;
  return due;
}
