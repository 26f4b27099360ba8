// Windowing: window types, assigners, triggers, evictors, window functions, the window operator
// and the windowed-stream API (keyBy(...).window(...), windowAll(...)).

export { TimeWindow, GlobalWindow, getWindowStartWithOffset, mergeTimeWindows, type Window, type MergeCallback } from "./windows.ts";
export {
  WindowAssigner,
  MergingWindowAssigner,
  isMergingWindowAssigner,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  GlobalWindows,
  type WindowAssignerContext,
} from "./assigners.ts";
export { EventTimeSessionWindows, ProcessingTimeSessionWindows, type SessionWindowTimeGapExtractor } from "./session-assigners.ts";
export { Trigger, TriggerResult, isFire, isPurge, type TriggerContext, type OnMergeContext } from "./trigger.ts";
export { EventTimeTrigger, ProcessingTimeTrigger, CountTrigger, ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, PurgingTrigger, NeverTrigger } from "./triggers.ts";
export { CountEvictor, TimeEvictor, DeltaEvictor, type Evictor, type EvictorContext, type TimestampedValue, type DeltaFunction } from "./evictors.ts";
export {
  ProcessWindowFunction,
  ProcessAllWindowFunction,
  type AggregateFunction,
  type KeyedStateStore,
  type ProcessWindowContext,
  type ProcessAllWindowContext,
  type ProcessWindowFunctionLike,
  type ProcessAllWindowFunctionLike,
  type WindowFunction,
  type AllWindowFunction,
} from "./window-functions.ts";
export { MergingWindowSet, type MergingWindowMapping } from "./merging-window-set.ts";
export { WindowOperator } from "./window-operator.ts";
