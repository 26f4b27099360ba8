// weir's public API, at a glance. Test helpers live in "weir/testing".

export { StreamExecutionEnvironment, defineJob, type EnvironmentOptions, type JobDefinition } from "./api/environment.ts";
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
} from "./api/functions.ts";
export { AbstractRichFunction, RichMapFunction, RichFlatMapFunction, RichFilterFunction, RichReduceFunction, RichSinkFunction } from "./api/functions.ts";
export { ProcessFunction, KeyedProcessFunction, CoProcessFunction, type ProcessContext, type KeyedProcessContext, type OnTimerContext, type KeyedRuntimeContext } from "./api/process-functions.ts";
export { OutputTag } from "./api/output-tag.ts";
export {
  WatermarkStrategy,
  BoundedOutOfOrdernessWatermarks,
  WatermarksWithIdleness,
  type WatermarkGenerator,
  type WatermarkOutput,
  type TimestampAssigner,
  type WatermarkGeneratorContext,
} from "./api/watermark-strategy.ts";
export type { TimeDomain } from "./state/timer-service.ts";
export { JobExecutionError, type JobExecutor, type JobExecutionResult, type PreparedJob } from "./api/executor.ts";
export type { Collector, RuntimeContext } from "./operators/operator.ts";
export type { Source, SourceReader, InputStatus, GeneratorOptions } from "./operators/source.ts";
export { ValueStateDescriptor, type ValueState } from "./state/keyed-state-backend.ts";
export type { TimerService } from "./state/timer-service.ts";
export type { CustomPartitioner } from "./runtime/partitioners.ts";
export { MiniCluster, EmbeddedExecutor } from "./cluster/mini-cluster.ts";
export { RemoteExecutor } from "./cluster/remote-executor.ts";
export type { Bus } from "./bus/bus.ts";
export { InProcessBus } from "./bus/in-process-bus.ts";
export { NatsBus } from "./bus/nats-bus.ts";
