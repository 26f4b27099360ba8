// The contexts the window operator hands to triggers, evictors and process window functions.
// Each is one object per subtask, pointed at the (key, window) being processed before each call
// (as Flink's WindowOperator does), so no context is allocated per element.

import type { OutputTag } from "../core/output-tag.ts";
import type { Output } from "../operators/operator.ts";
import type { Clock } from "../core/clock.ts";
import type { KeyedStateBackend, ValueState, ValueStateDescriptor } from "../state/keyed-state-backend.ts";
import type { KeyedStateStore } from "../core/keyed-state.ts";
import type { KeyedTimerService } from "../state/timer-service.ts";
import type { EvictorContext } from "./evictors.ts";
import type { OnMergeContext } from "./trigger.ts";
import type { ProcessWindowContext } from "./window-functions.ts";
import { SlotStateStore, type ScopedStateRegistry } from "./window-state-cells.ts";
import { addWindowTimer, emptyKeyWindows, removeWindowTimer, slotFor, type KeyWindows, type WindowSlot } from "./window-state.ts";
import type { Window } from "./windows.ts";

/** Where the operator's contexts point: the current key's windows, the window being processed and its slot. */
abstract class WindowScope {
  kw: KeyWindows = emptyKeyWindows();
  current!: Window;
  private slot: WindowSlot | undefined;

  /** Points the context at `window` of `kw`; `slot` is the window's slot if the caller has it. */
  at(kw: KeyWindows, window: Window, slot?: WindowSlot): this {
    this.kw = kw;
    this.current = window;
    this.slot = slot;
    return this;
  }

  /** The current window's slot; created if `create`, else undefined when it has none. */
  slotOf(create: boolean): WindowSlot | undefined {
    if (this.slot === undefined) this.slot = create ? slotFor(this.kw, this.current) : this.kw.slots.get(this.current.id);
    return this.slot;
  }
}

/** A trigger's view: timers and state of the current (key, window), and on merges the windows merged. */
export class WindowTriggerContext extends WindowScope implements OnMergeContext {
  /** Set for onMerge: the windows being merged into `current`. */
  mergedWindows: readonly Window[] = [];
  private readonly states: SlotStateStore;

  /** `registry` learns the trigger's per-window states (for snapshots). */
  constructor(private readonly timers: KeyedTimerService, private readonly clock: Clock, private readonly currentKey: () => unknown, registry?: ScopedStateRegistry) {
    super();
    this.states = new SlotStateStore("triggerState", (create) => this.slotOf(create), clock, registry);
  }

  getCurrentProcessingTime(): number {
    return this.clock.now();
  }
  getCurrentWatermark(): number {
    return this.timers.currentWatermark;
  }
  registerEventTimeTimer(time: number): void {
    if (addWindowTimer(this.kw, this.slotOf(true)!, "event-time", time)) this.timers.registerEventTime(this.currentKey(), time);
  }
  deleteEventTimeTimer(time: number): void {
    const slot = this.slotOf(false);
    if (slot !== undefined && removeWindowTimer(this.kw, slot, "event-time", time)) this.timers.deleteEventTime(this.currentKey(), time);
  }
  registerProcessingTimeTimer(time: number): void {
    if (addWindowTimer(this.kw, this.slotOf(true)!, "processing-time", time)) this.timers.register(this.currentKey(), time);
  }
  deleteProcessingTimeTimer(time: number): void {
    const slot = this.slotOf(false);
    if (slot !== undefined && removeWindowTimer(this.kw, slot, "processing-time", time)) this.timers.delete(this.currentKey(), time);
  }
  getPartitionedState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.states.getState(descriptor);
  }
  mergePartitionedState<T>(descriptor: ValueStateDescriptor<T>, merge: (a: T, b: T) => T): void {
    const target = this.states.getState(descriptor);
    let merged = target.value();
    for (const window of this.mergedWindows) {
      const value = this.states.valueIn(this.kw.slots.get(window.id), descriptor);
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
    private readonly sideOutputs: Output,
    keyedState: KeyedStateBackend,
    private readonly merging: boolean,
    registry?: ScopedStateRegistry,
  ) {
    super();
    this.perWindow = new SlotStateStore("windowState", (create) => this.slotOf(create), clock, registry);
    this.perKey = keyedState;
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
    this.sideOutputs.collectSide(tag.id, value);
  }
}

/** An evictor's view: the operator's times. */
export function evictorContext(timers: KeyedTimerService, clock: Clock): EvictorContext {
  return {
    getCurrentProcessingTime: () => clock.now(),
    getCurrentWatermark: () => timers.currentWatermark,
  };
}
