// weir's public API, at a glance. Test helpers live in "weir/testing".

export { StreamExecutionEnvironment, defineJob, type EnvironmentOptions, type JobDefinition } from "./cluster/environment.ts";
export { DataStream, SingleOutputStreamOperator, KeyedStream, ConnectedStreams, DataStreamSink, CollectedStream } from "./api/data-stream.ts";
export type {
  MapFunction,
  FlatMapFunction,
  FilterFunction,
  ReduceFunction,
  KeySelector,
  SinkFunction,
  CoMapFunction,
  CoFlatMapFunction,
  RichFunction,
  AsyncFunction,
} from "./core/functions.ts";
export { AbstractRichFunction, RichMapFunction, RichFlatMapFunction, RichFilterFunction, RichReduceFunction, RichSinkFunction } from "./core/functions.ts";
export { UncopyableFunctionError } from "./api/subtask-copies.ts";
export { AsyncDataStream, AsyncTimeoutError, AsyncRequestError, type AsyncWaitOptions } from "./api/async-data-stream.ts";
export { ProcessFunction, KeyedProcessFunction, CoProcessFunction, type ProcessContext, type KeyedProcessContext, type OnTimerContext, type KeyedRuntimeContext } from "./core/process-functions.ts";
export { OutputTag } from "./core/output-tag.ts";
export { UnrecoverableError } from "./core/errors.ts";
export {
  KeyedCoProcessFunction,
  ProcessJoinFunction,
  type ProcessJoinContext,
  type ProcessJoinFunctionLike,
  type JoinFunction,
  type FlatJoinFunction,
  type CoGroupFunction,
  type TaggedUnion,
} from "./joins/index.ts";
export {
  WatermarkStrategy,
  BoundedOutOfOrdernessWatermarks,
  WatermarksWithIdleness,
  type WatermarkGenerator,
  type WatermarkOutput,
  type TimestampAssigner,
  type WatermarkGeneratorContext,
} from "./core/watermark-strategy.ts";
export type { TimeDomain } from "./state/timer-service.ts";
export {
  TimeWindow,
  GlobalWindow,
  getWindowStartWithOffset,
  mergeTimeWindows,
  WindowAssigner,
  MergingWindowAssigner,
  isMergingWindowAssigner,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  GlobalWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  Trigger,
  TriggerResult,
  isFire,
  isPurge,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  ContinuousEventTimeTrigger,
  ContinuousProcessingTimeTrigger,
  PurgingTrigger,
  NeverTrigger,
  CountEvictor,
  TimeEvictor,
  DeltaEvictor,
  ProcessWindowFunction,
  ProcessAllWindowFunction,
  type Evictor,
  type EvictorContext,
  type TimestampedValue,
  type DeltaFunction,
  type AggregateFunction,
  type KeyedStateStore,
  type ProcessWindowContext,
  type ProcessAllWindowContext,
  type ProcessWindowFunctionLike,
  type ProcessAllWindowFunctionLike,
  type WindowFunction,
  type AllWindowFunction,
  type Window,
  type MergeCallback,
  type WindowAssignerContext,
  type SessionWindowTimeGapExtractor,
  type TriggerContext,
  type OnMergeContext,
} from "./windowing/index.ts";
export { IntervalJoin, IntervalJoined } from "./api/interval-join.ts";
export { JoinedStreams, JoinWhere, JoinEqualTo, WindowedJoin } from "./api/window-join.ts";
export { CoGroupedStreams, CoGroupWhere, CoGroupEqualTo, WindowedCoGroup } from "./api/co-group.ts";
export { WindowedStream, AllWindowedStream } from "./api/windowed-stream.ts";
export { JobExecutionError, type JobExecutor, type JobExecutionResult, type PreparedJob, type JobModule, type JobClient } from "./api/executor.ts";
// Checkpoints, savepoints and recovery.
export { CheckpointConfig } from "./api/checkpoint-config.ts";
export type { CheckpointingMode, CheckpointingConfig, RestoreSettings, StateBackendKind } from "./messages/schema.ts";
export type { RestartStrategyConfig } from "./coordinator/restart-strategy.ts";
export { isCheckpointListener, type CheckpointListener } from "./state/checkpointed-function.ts";
export { loadMetadata, readState, openCheckpointStorage, type CheckpointStorage } from "./checkpoint/checkpoint-storage.ts";
export type { CheckpointMetadata, StateHandle } from "./checkpoint/checkpoint-metadata.ts";
export type { Collector, RuntimeContext } from "./operators/operator.ts";
export type { Source, SourceReader, SourceReaderContext, SourceOutput, InputStatus, GeneratorOptions, SplitEnumerator, SplitEnumeratorContext } from "./operators/source.ts";
export type { Clock } from "./core/clock.ts";
// State (AggregateFunction and the window KeyedStateStore come from the windowing export above).
export {
  StateDescriptor,
  ValueStateDescriptor,
  ListStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  MapStateDescriptor,
  StateTtlConfig,
  UpdateType,
  StateVisibility,
  keyGroupsInRange,
  splitKeyGroups,
  redistributeEvenSplit,
  redistributeUnion,
  redistributeOperatorState,
  isCheckpointedFunction,
  type ValueState,
  type ListState,
  type ReducingState,
  type AggregatingState,
  type MapState,
  type StateFor,
  type BroadcastState,
  type ReadOnlyBroadcastState,
  type OperatorStateStore,
  type CheckpointedFunction,
  type FunctionSnapshotContext,
  type FunctionInitializationContext,
  type StateSerializer,
  type StateDescriptorOptions,
  type KeyGroupStateSnapshot,
  type KeyGroupTimersSnapshot,
  type StateTableSnapshot,
  type OperatorStateSnapshot,
} from "./state/index.ts";
export { BroadcastStream, BroadcastConnectedStream } from "./api/broadcast-stream.ts";
export {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  type BroadcastBaseContext,
  type BroadcastContext,
  type BroadcastReadOnlyContext,
  type KeyedBroadcastContext,
  type KeyedBroadcastReadOnlyContext,
  type KeyedBroadcastOnTimerContext,
} from "./core/broadcast-process-functions.ts";
export type { TimerService } from "./state/timer-service.ts";
export type { CustomPartitioner } from "./runtime/partitioners.ts";
export { MiniCluster, EmbeddedExecutor } from "./cluster/mini-cluster.ts";
export { RemoteExecutor } from "./cluster/remote-executor.ts";
export type { Bus } from "./bus/bus.ts";
export {
  postgresSink,
  jetStreamSource,
  natsSource,
  NATS_SOURCE_DROPPED_METRIC,
  jetStreamSink,
  jetStreamKvSink,
  fileSource,
  fileSink,
  DEAD_LETTERS,
  DEAD_LETTERS_METRIC,
  type PostgresSinkOptions,
  type JetStreamSourceOptions,
  type JetStreamStartAt,
  type NatsSourceOptions,
  type DeserializationSchema,
  type Deserializer,
  type JetStreamSinkOptions,
  type JetStreamKvSinkOptions,
  type FileSourceOptions,
  type FileSinkOptions,
  type FileSinkRollingOptions,
  type FileFormat,
  type BadRecordPolicy,
  type BadRecordOptions,
  type DeadLetter,
  type SinkConnector,
} from "./connectors/index.ts";
export { InProcessBus } from "./bus/in-process-bus.ts";
export { NatsBus, NatsLoginRefusedError, NatsNotPermittedError } from "./bus/nats-bus.ts";
export { natsLogin, type NatsLogin, type NatsLoginSettings, type NatsLoginOutcome } from "./bus/nats-login.ts";
