// The contexts the window operator hands to triggers, evictors and process window functions.
// Each is one object per subtask, pointed at the (key, window) being processed before each call
// (as Flink's WindowOperator does), so no context is allocated per element.

import type { OutputTag } from "../api/output-tag.ts";
import type { Output } from "../operators/operator.ts";
import type { Clock } from "../runtime/clock.ts";
import type { KeyedStateBackend, ValueState, ValueStateDescriptor } from "../state/keyed-state-backend.ts";
import type { KeyedTimerService } from "../state/timer-service.ts";
import type { EvictorContext } from "./evictors.ts";
import type { OnMergeContext } from "./trigger.ts";
import type { KeyedStateStore, ProcessWindowContext } from "./window-functions.ts";
import { ScopedValueState, addWindowTimer, emptyKeyWindows, removeWindowTimer, type KeyWindows, type ScopedValues } from "./window-state.ts";
import type { Window } from "./windows.ts";

/** Value states over one scope map of the current key's windows, one object per descriptor name. */
class ScopedStates {
  private readonly states = new Map<string, ScopedValueState<unknown>>();
  constructor(private readonly scopes: () => Map<string, ScopedValues>, private readonly id: () => string) {}
  get<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    let state = this.states.get(descriptor.name);
    if (state === undefined) {
      state = new ScopedValueState<unknown>(descriptor as ValueStateDescriptor<unknown>, this.scopes, this.id);
      this.states.set(descriptor.name, state);
    }
    return state as ValueState<T>;
  }
}

/** Where the operator's contexts point: the current key's windows and the window being processed. */
abstract class WindowScope {
  kw: KeyWindows = emptyKeyWindows();
  current!: Window;
  at(kw: KeyWindows, window: Window): this {
    this.kw = kw;
    this.current = window;
    return this;
  }
}

/** A trigger's view: timers and state of the current (key, window), and on merges the windows merged. */
export class WindowTriggerContext extends WindowScope implements OnMergeContext {
  /** Set for onMerge: the windows being merged into `current`. */
  mergedWindows: readonly Window[] = [];
  private readonly states = new ScopedStates(
    () => this.kw.triggerState,
    () => this.current.id,
  );

  constructor(private readonly timers: KeyedTimerService, private readonly clock: Clock, private readonly currentKey: () => unknown) {
    super();
  }

  getCurrentProcessingTime(): number {
    return this.clock.now();
  }
  getCurrentWatermark(): number {
    return this.timers.currentWatermark;
  }
  registerEventTimeTimer(time: number): void {
    if (addWindowTimer(this.kw.timers["event-time"], time, this.current)) this.timers.registerEventTime(this.currentKey(), time);
  }
  deleteEventTimeTimer(time: number): void {
    if (removeWindowTimer(this.kw.timers["event-time"], time, this.current)) this.timers.deleteEventTime(this.currentKey(), time);
  }
  registerProcessingTimeTimer(time: number): void {
    if (addWindowTimer(this.kw.timers["processing-time"], time, this.current)) this.timers.register(this.currentKey(), time);
  }
  deleteProcessingTimeTimer(time: number): void {
    if (removeWindowTimer(this.kw.timers["processing-time"], time, this.current)) this.timers.delete(this.currentKey(), time);
  }
  getPartitionedState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.states.get(descriptor);
  }
  mergePartitionedState<T>(descriptor: ValueStateDescriptor<T>, merge: (a: T, b: T) => T): void {
    const target = this.states.get(descriptor);
    let merged = target.value();
    for (const window of this.mergedWindows) {
      const value = this.kw.triggerState.get(window.id)?.get(descriptor.name) as T | undefined;
      if (value !== undefined) merged = merged === undefined ? value : merge(merged, value);
    }
    if (merged !== undefined) target.update(merged);
  }
}

/** A process window function's view of the window that fires. */
export class WindowProcessContext extends WindowScope implements ProcessWindowContext<Window> {
  private readonly perWindow: KeyedStateStore;
  private readonly perKey: KeyedStateStore;

  constructor(
    private readonly timers: KeyedTimerService,
    private readonly clock: Clock,
    private readonly output_: Output,
    keyedState: KeyedStateBackend,
    private readonly merging: boolean,
  ) {
    super();
    const states = new ScopedStates(
      () => this.kw.windowState,
      () => this.current.id,
    );
    this.perWindow = { getState: (descriptor) => states.get(descriptor) };
    this.perKey = { getState: (descriptor) => keyedState.getState(descriptor) };
  }

  window(): Window {
    return this.current;
  }
  currentProcessingTime(): number {
    return this.clock.now();
  }
  currentWatermark(): number {
    return this.timers.currentWatermark;
  }
  windowState(): KeyedStateStore {
    // As in Flink: a merging window's state would have to merge too, which plain value state cannot.
    if (this.merging) throw new Error("per-window state is not supported with merging (session) windows; use globalState()");
    return this.perWindow;
  }
  globalState(): KeyedStateStore {
    return this.perKey;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.output_.collectSide(tag.id, value);
  }
}

/** An evictor's view: the operator's times. */
export function evictorContext(timers: KeyedTimerService, clock: Clock): EvictorContext {
  return {
    getCurrentProcessingTime: () => clock.now(),
    getCurrentWatermark: () => timers.currentWatermark,
  };
}
