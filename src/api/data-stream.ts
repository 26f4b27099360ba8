// The DataStream API: typed, fluent transformations that add nodes and edges to the
// environment's StreamGraph. Nothing runs here; execute() hands the graph to an executor.

import type { PartitionerSpec } from "../messages/schema.ts";
import { FileSink, PrintSink, SinkOperator, CollectSink } from "../operators/sinks.ts";
import { FilterOperator, FlatMapOperator, MapOperator } from "../operators/stateless.ts";
import { KeyedProcessOperator, KeyedReduceOperator, aggregationReducer, type AggregationKind, type FieldRef } from "../operators/keyed.ts";
import { KeyedFilterOperator, KeyedFlatMapOperator, KeyedMapOperator } from "../operators/keyed-transformations.ts";
import { BroadcastStream, type BroadcastConnectedStream } from "./broadcast-stream.ts";
import type { MapStateDescriptor } from "../core/state-descriptors.ts";
import { ProcessOperator } from "../operators/process.ts";
import type { StreamOperator } from "../operators/operator.ts";
import type { StreamEnvironmentInternals } from "./environment-internals.ts";
import { subtaskCopies } from "./subtask-copies.ts";
import type { FilterFunction, FlatMapFunction, KeySelector, MapFunction, ReduceFunction, SinkFunction } from "../core/functions.ts";
import type { OutputTag } from "../core/output-tag.ts";
import type { WatermarkAlignment, WatermarkStrategy } from "../core/watermark-strategy.ts";
import { TimestampsAndWatermarksOperator } from "../operators/timestamps-and-watermarks.ts";
import type { KeyedProcessFunction, ProcessFunction } from "../core/process-functions.ts";
import type { SinkConnector } from "../connectors/sink-connector.ts";
import type { CustomPartitioner } from "../runtime/partitioners.ts";
import type { StreamNode } from "../graph/stream-graph.ts";
import { CollectedStream, DataStreamSink, setName, setParallelism, setSlotSharingGroup, setUid } from "./stream-settings.ts";
import { ConnectedStreams } from "./connected-streams.ts";
import { checkMaxParallelism } from "../core/key-groups.ts";
import { checkBufferTimeout } from "../runtime/channel-writer.ts";
import { ALL_WINDOWS_KEY, allWindows, countWindowSettings, globalWindowsFor, keyedWindows, type AllWindowedStream, type WindowedStream } from "./windowed-stream.ts";
import type { WindowAssigner } from "../windowing/assigners.ts";
import type { GlobalWindow, Window } from "../windowing/windows.ts";
import { IntervalJoin } from "./interval-join.ts";
import { JoinedStreams } from "./window-join.ts";
import { CoGroupedStreams } from "./co-group.ts";

export { CollectedStream, DataStreamSink } from "./stream-settings.ts";
export { ConnectedStreams } from "./connected-streams.ts";

/** One upstream of a stream: a node's main or side output, and how records are partitioned to the next operator. */
interface StreamRef {
  nodeId: number;
  sideOutput?: string;
  partitioner?: PartitionerSpec;
  keySelector?: KeySelector<unknown, unknown>;
  customPartitioner?: CustomPartitioner;
}

export class DataStream<T> {
  /** @internal */
  constructor(protected readonly env: StreamEnvironmentInternals, protected readonly refs: readonly StreamRef[]) {}

  map<O>(fn: MapFunction<T, O>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "map()");
    return this.transform<O>("Map", () => new MapOperator(copies()));
  }

  flatMap<O>(fn: FlatMapFunction<T, O>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "flatMap()");
    return this.transform<O>("FlatMap", () => new FlatMapOperator(copies()));
  }

  filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    const copies = subtaskCopies(fn, "filter()");
    return this.transform<T>("Filter", () => new FilterOperator(copies()));
  }

  /** A ProcessFunction: side outputs and processing time, no keyed state (use keyBy first for that). */
  process<O>(fn: ProcessFunction<T, O>): SingleOutputStreamOperator<O> {
    const copies = subtaskCopies(fn, "process()");
    return this.transform<O>("Process", () => new ProcessOperator(copies()));
  }

  /**
   * Gives records event-time timestamps and the stream watermarks (chained after this operator).
   * @example
   * stream.assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<E>(4000).withTimestampAssigner((e) => e.time));
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    const env = this.env;
    const alignment = strategy.alignment ? { watermarkAlignment: strategy.alignment } : {};
    return this.transform<T>("Timestamps/Watermarks", () => new TimestampsAndWatermarksOperator<T>(strategy, env.getAutoWatermarkInterval()), undefined, alignment);
  }

  /** Partitions by key: records with equal keys go to the same subtask (by key group). */
  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.env, this.withPartitioner({ kind: "hash" }, keySelector as KeySelector<unknown, unknown>), keySelector);
  }

  /**
   * Windows over the whole stream (not keyed): one window operator with parallelism 1.
   * @example
   * stream.windowAll(TumblingEventTimeWindows.of(60_000)).reduce((a, b) => a + b);
   */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    return allWindows<T, W>(assigner, (name, createOperator) =>
      this.global().transform(name, createOperator, [ALL_WINDOWS_KEY], { maxAllowedParallelism: 1 }),
    );
  }

  /** Count windows over the whole stream: every `size` elements, or every `slide` elements over the last `size`. */
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    return countWindowSettings(this.windowAll(globalWindowsFor<T>()), size, slide);
  }

  /** Merges streams of the same type; no records are copied or reordered within an input. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const other of others) this.checkSameEnvironment(other, "union()");
    return new DataStream<T>(this.env, [...this.refs, ...others.flatMap((o) => o.refs)]);
  }

  /** Connects with another stream (CoMap, CoFlatMap, CoProcess), or with a broadcast stream (broadcast state). */
  connect<U>(other: DataStream<U>): ConnectedStreams<T, U>;
  connect<U>(other: BroadcastStream<U>): BroadcastConnectedStream<T, U>;
  connect<U>(other: DataStream<U> | BroadcastStream<U>): ConnectedStreams<T, U> | BroadcastConnectedStream<T, U> {
    if (other instanceof BroadcastStream) return other.connectedTo(this.env, this, this.keySelectorIfKeyed());
    this.checkSameEnvironment(other, "connect()");
    return new ConnectedStreams<T, U>(this.env, this, other);
  }

  /** @internal The key selector of a keyed stream; none for others. */
  protected keySelectorIfKeyed(): KeySelector<unknown, unknown> | undefined {
    return undefined;
  }

  /** A window join with another stream: `.where(key).equalTo(otherKey).window(assigner).apply(joinFunction)`. */
  join<U>(other: DataStream<U>): JoinedStreams<T, U> {
    this.checkSameEnvironment(other, "join()");
    return new JoinedStreams<T, U>(this, other);
  }

  /** Groups with another stream per key and window: `.where(key).equalTo(otherKey).window(assigner).apply(coGroupFunction)`. */
  coGroup<U>(other: DataStream<U>): CoGroupedStreams<T, U> {
    this.checkSameEnvironment(other, "coGroup()");
    return new CoGroupedStreams<T, U>(this, other);
  }

  forward(): DataStream<T> {
    return new DataStream<T>(this.env, this.withPartitioner({ kind: "forward" }));
  }
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.env, this.withPartitioner({ kind: "rebalance" }));
  }
  rescale(): DataStream<T> {
    return new DataStream<T>(this.env, this.withPartitioner({ kind: "rescale" }));
  }
  shuffle(): DataStream<T> {
    return new DataStream<T>(this.env, this.withPartitioner({ kind: "shuffle" }));
  }
  /**
   * Sends every record to every subtask of the next operator. Given MapStateDescriptors, returns a
   * BroadcastStream declaring those broadcast states, for `connect(broadcastStream).process(fn)`.
   * @example
   * const rules = new MapStateDescriptor<string, Rule>("rules");
   * events.keyBy((e) => e.user).connect(ruleStream.broadcast(rules)).process(new ApplyRules());
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    const broadcasted = new DataStream<T>(this.env, this.withPartitioner({ kind: "broadcast" }));
    return descriptors.length === 0 ? broadcasted : new BroadcastStream<T>(this.env, broadcasted, descriptors);
  }
  global(): DataStream<T> {
    return new DataStream<T>(this.env, this.withPartitioner({ kind: "global" }));
  }
  /** Routes each record to `partitioner(key, numPartitions)`. */
  partitionCustom<K>(partitioner: CustomPartitioner<K>, keySelector: KeySelector<T, K>): DataStream<T> {
    return new DataStream<T>(
      this.env,
      this.withPartitioner({ kind: "custom" }, keySelector as KeySelector<unknown, unknown>, partitioner as CustomPartitioner),
    );
  }

  print(label?: string): DataStreamSink {
    return this.addSinkOperator("Print", () => new PrintSink(label));
  }

  addSink(fn: SinkFunction<T>): DataStreamSink {
    const copies = subtaskCopies(fn, "addSink()");
    return this.addSinkOperator("Sink", () => new SinkOperator(copies()));
  }

  /** Writes into an external system through a connector, e.g. `sinkTo(postgresSink({ … }))`. */
  sinkTo(connector: SinkConnector<T>): DataStreamSink {
    return this.addSinkOperator(connector.name, () => connector.createOperator());
  }

  /** One line per record: strings as they are, anything else as JSON. */
  writeAsText(path: string): DataStreamSink {
    const resolved = this.env.resolvePath(path);
    return this.addSinkOperator("TextFileSink", () => new FileSink(resolved, "text"));
  }

  /** One JSON document per line. */
  writeAsNdjson(path: string): DataStreamSink {
    const resolved = this.env.resolvePath(path);
    return this.addSinkOperator("NdjsonFileSink", () => new FileSink(resolved, "ndjson"));
  }

  /**
   * Streams this stream's records back to the client; `values` fills while the job runs.
   * @example
   * const out = env.fromElements(1, 2, 3).map((x) => x * 2).collect();
   * await env.execute();
   * out.values; // [2, 4, 6]
   */
  collect(): CollectedStream<T> {
    const collected = new CollectedStream<T>();
    const sink = this.addSinkOperator("CollectSink", () => new CollectSink(String(sinkNodeId)));
    const sinkNodeId = sink.nodeId;
    this.env.registerCollector(String(sinkNodeId), collected as CollectedStream<unknown>);
    return collected;
  }

  /** Runs the job and returns everything this stream produced. */
  async executeAndCollect(jobName?: string): Promise<T[]> {
    const collected = this.collect();
    await this.env.execute(jobName);
    return collected.values;
  }

  /** @internal Adds a one-input operator fed by this stream; `maxAllowedParallelism: 1` makes it non-parallel. */
  protected transform<O>(
    name: string,
    createOperator: () => StreamOperator,
    keySelectors?: KeySelector<unknown, unknown>[],
    nodeOptions: { maxAllowedParallelism?: number; watermarkAlignment?: WatermarkAlignment } = {},
  ): SingleOutputStreamOperator<O> {
    const node = this.env.graph.addNode({ name, kind: "operator", chaining: "always", createOperator, keySelectors, ...nodeOptions });
    this.connectInputs(node.id, 0);
    return new SingleOutputStreamOperator<O>(this.env, node);
  }

  /** @internal Adds a one-input operator whose factory learns the node's name as it is when the job runs (AsyncDataStream). */
  addNamedOperator<O>(name: string, createOperator: (nodeName: () => string) => StreamOperator): SingleOutputStreamOperator<O> {
    const node: StreamNode = this.env.graph.addNode({ name, kind: "operator", chaining: "always", createOperator: () => createOperator(() => node.name) });
    this.connectInputs(node.id, 0);
    return new SingleOutputStreamOperator<O>(this.env, node);
  }

  /** @internal */
  connectInputs(target: number, inputIndex: number): void {
    for (const ref of this.refs) {
      this.env.graph.addEdge({
        source: ref.nodeId,
        target,
        partitioner: ref.partitioner,
        keySelector: ref.keySelector,
        customPartitioner: ref.customPartitioner,
        sideOutput: ref.sideOutput,
        inputIndex,
      });
    }
  }

  private addSinkOperator(name: string, createOperator: () => StreamOperator): DataStreamSink {
    const node = this.env.graph.addNode({ name, kind: "sink", chaining: "always", createOperator });
    this.connectInputs(node.id, 0);
    return new DataStreamSink(node);
  }

  /** Node ids are per environment: a stream of another one would silently name the wrong node. */
  private checkSameEnvironment<U>(other: DataStream<U>, operation: string): void {
    if (other.env !== this.env) throw new Error(`${operation} needs streams of the same StreamExecutionEnvironment`);
  }

  private withPartitioner(partitioner: PartitionerSpec, keySelector?: KeySelector<unknown, unknown>, customPartitioner?: CustomPartitioner): StreamRef[] {
    return this.refs.map((ref) => ({ ...ref, partitioner, keySelector, customPartitioner }));
  }
}

export class SingleOutputStreamOperator<T> extends DataStream<T> {
  /** @internal */
  constructor(env: StreamEnvironmentInternals, private readonly node: StreamNode) {
    super(env, [{ nodeId: node.id }]);
  }

  /** The records an operator emitted with `ctx.output(tag, value)`. */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>(this.env, [{ nodeId: this.node.id, sideOutput: tag.id }]);
  }

  name(name: string): this {
    setName(this.node, name);
    return this;
  }
  uid(uid: string): this {
    setUid(this.node, uid);
    return this;
  }
  setParallelism(parallelism: number): this {
    setParallelism(this.node, parallelism);
    return this;
  }
  setMaxParallelism(maxParallelism: number): this {
    checkMaxParallelism(maxParallelism, 1);
    this.node.maxParallelism = maxParallelism;
    return this;
  }
  /** Starts a new chain at this operator: it is not chained to its input. */
  startNewChain(): this {
    this.node.chaining = "head";
    return this;
  }
  /** Chains this operator to nothing, upstream or downstream. */
  disableChaining(): this {
    this.node.chaining = "never";
    return this;
  }
  /**
   * Runs this operator in the named slot-sharing group (Flink's semantics): subtasks of operators in
   * different groups never share a slot, and never chain. Operators downstream inherit the group
   * while all their inputs are in it. A job needs, per group, as many slots as the group's
   * highest parallelism.
   */
  slotSharingGroup(name: string): this {
    setSlotSharingGroup(this.node, name);
    return this;
  }
  /** How long (ms) output may wait in a partly filled frame; 0 flushes after every batch of input. */
  setBufferTimeout(ms: number): this {
    checkBufferTimeout(ms);
    this.node.bufferTimeoutMs = ms;
    return this;
  }
}

export class KeyedStream<T, K> extends DataStream<T> {
  /** @internal */
  constructor(env: StreamEnvironmentInternals, refs: readonly StreamRef[], private readonly keySelector: KeySelector<T, K>) {
    super(env, refs);
  }

  getKeySelector(): KeySelector<T, K> {
    return this.keySelector;
  }

  protected override keySelectorIfKeyed(): KeySelector<unknown, unknown> {
    return this.keySelector as KeySelector<unknown, unknown>;
  }

  // A function object (a RichMapFunction, or any object with open()) may use keyed state, so it
  // runs as a keyed operator; a plain function cannot reach state and stays a plain, key-free map.
  /** A map; a function object reaches the record's keyed state through getRuntimeContext(). */
  override map<O>(fn: MapFunction<T, O>): SingleOutputStreamOperator<O> {
    if (typeof fn === "function") return super.map(fn);
    const keyOf = this.keySelector as KeySelector<unknown, unknown>;
    const copies = subtaskCopies(fn, "map()");
    return this.transform<O>("Map", () => new KeyedMapOperator(keyOf, copies()), [keyOf]);
  }

  /** A flatMap; a function object reaches the record's keyed state through getRuntimeContext(). */
  override flatMap<O>(fn: FlatMapFunction<T, O>): SingleOutputStreamOperator<O> {
    if (typeof fn === "function") return super.flatMap(fn);
    const keyOf = this.keySelector as KeySelector<unknown, unknown>;
    const copies = subtaskCopies(fn, "flatMap()");
    return this.transform<O>("FlatMap", () => new KeyedFlatMapOperator(keyOf, copies()), [keyOf]);
  }

  /** A filter; a function object reaches the record's keyed state through getRuntimeContext(). */
  override filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    if (typeof fn === "function") return super.filter(fn);
    const keyOf = this.keySelector as KeySelector<unknown, unknown>;
    const copies = subtaskCopies(fn, "filter()");
    return this.transform<T>("Filter", () => new KeyedFilterOperator(keyOf, copies()), [keyOf]);
  }

  /** A KeyedProcessFunction: keyed state and timers for the current key. */
  override process<O>(fn: KeyedProcessFunction<K, T, O> | ProcessFunction<T, O>): SingleOutputStreamOperator<O> {
    if (!("onTimer" in fn)) return super.process(fn);
    const keyOf = this.keySelector as KeySelector<unknown, unknown>;
    const copies = subtaskCopies(fn as KeyedProcessFunction<K, T, O>, "process()");
    return this.transform<O>("KeyedProcess", () => new KeyedProcessOperator<K, T, O>(keyOf, copies()), [keyOf]);
  }

  /**
   * Windows per key: assign, then trigger/evictor/allowedLateness/sideOutputLateData, then a function.
   * @example
   * stream.keyBy((e) => e.user).window(TumblingEventTimeWindows.of(5_000)).reduce((a, b) => ({ ...a, n: a.n + b.n }));
   */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    const keyOf = this.keySelector as KeySelector<unknown, unknown>;
    return keyedWindows<T, K, W>(assigner, this.keySelector, (name, createOperator) => this.transform(name, createOperator, [keyOf]));
  }

  /** Count windows per key: every `size` elements (tumbling), or every `slide` elements over the last `size` (sliding). */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    return countWindowSettings(this.window(globalWindowsFor<T>()), size, slide);
  }

  /** Joins with another keyed stream on an interval of event time: `.between(lowerMs, upperMs).process(fn)`. */
  intervalJoin<U>(other: KeyedStream<U, K>): IntervalJoin<T, U, K> {
    return new IntervalJoin<T, U, K>(this, other);
  }

  /** Rolling reduce: emits the running result for the record's key after every record. */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T> {
    const keyOf = this.keySelector as KeySelector<unknown, unknown>;
    const copies = subtaskCopies(fn, "reduce()");
    return this.transform<T>("Reduce", () => new KeyedReduceOperator<T>(keyOf, copies()), [keyOf]);
  }

  sum(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate("sum", field);
  }
  /** Keeps the first record's other fields and the minimum of `field`. */
  min(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate("min", field);
  }
  max(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate("max", field);
  }
  /** The whole record with the minimum `field` (the first one on ties). */
  minBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate("minBy", field);
  }
  maxBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate("maxBy", field);
  }

  private aggregate(kind: AggregationKind, field: FieldRef): SingleOutputStreamOperator<T> {
    const reducer = aggregationReducer<T>(kind, field);
    const keyOf = this.keySelector as KeySelector<unknown, unknown>;
    return this.transform<T>(`Aggregate(${kind})`, () => new KeyedReduceOperator<T>(keyOf, reducer), [keyOf]);
  }
}
