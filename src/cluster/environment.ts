// StreamExecutionEnvironment: job-wide settings, sources, and execute(). By default a job runs
// embedded (an in-process bus, a job manager and one worker, like Flink's MiniCluster); an
// executor can be injected to submit it to a NATS cluster instead.

import { isAbsolute, resolve } from "node:path";
import { EmbeddedExecutor } from "./mini-cluster.ts";
import { StreamGraph } from "../graph/stream-graph.ts";
import { buildJobGraph } from "../graph/job-graph.ts";
import type { CheckpointingMode, JobConfig, RestoreSettings, StateBackendKind } from "../messages/schema.ts";
import { checkRestartStrategy, type RestartStrategyConfig } from "../coordinator/restart-strategy.ts";
import { CheckpointConfig } from "../api/checkpoint-config.ts";
import { collectionSource, generatorSource, sequenceSource, type GeneratorOptions, type Source } from "../operators/source.ts";
import { checkMaxParallelism } from "../core/key-groups.ts";
import { checkBufferTimeout } from "../runtime/channel-writer.ts";
import { type CollectedStream, SingleOutputStreamOperator } from "../api/data-stream.ts";
import type { StreamEnvironmentInternals } from "../api/environment-internals.ts";
import type { JobClient, JobExecutionResult, JobExecutor, JobModule } from "../api/executor.ts";
import type { WatermarkStrategy } from "../core/watermark-strategy.ts";

export interface EnvironmentOptions {
  /** Runs the job; defaults to the embedded mini cluster. */
  executor?: JobExecutor;
  /** Directory that relative paths given to the job resolve against. Defaults to the process's cwd. */
  cwd?: string;
  /** The module this job comes from (set by `weir run`): what a RemoteExecutor bundles for the workers. */
  artifact?: JobModule;
  parallelism?: number;
  /** Start from this savepoint or retained checkpoint (set by `weir run --from-savepoint`). */
  restoreFrom?: RestoreSettings;
}

/** A job module's default export: builds the dataflow on the environment it is given. */
export type JobDefinition = (env: StreamExecutionEnvironment, args: string[]) => void | Promise<void>;

/**
 * Declares a job module (a typed identity function).
 * @example
 * export default defineJob((env, args) => {
 *   env.fromElements("a", "b").map((s) => s.toUpperCase()).print();
 * });
 */
export function defineJob(definition: JobDefinition): JobDefinition {
  return definition;
}

export class StreamExecutionEnvironment implements StreamEnvironmentInternals {
  readonly graph = new StreamGraph();
  private readonly collectors = new Map<string, CollectedStream<unknown>>();
  private parallelism: number;
  private maxParallelism = 128;
  private bufferTimeoutMs = 100;
  private autoWatermarkIntervalMs = 200;
  private latencyTrackingIntervalMs = 0;
  private readonly checkpointConfig = new CheckpointConfig();
  private restartStrategy?: RestartStrategyConfig;
  private stateBackend: { kind: StateBackendKind; dir?: string; incremental?: boolean } = { kind: "heap" };

  constructor(private readonly options: EnvironmentOptions = {}) {
    this.parallelism = options.parallelism ?? 1;
  }

  /** Flink's entry point name; same as `new StreamExecutionEnvironment(options)`. */
  static getExecutionEnvironment(options: EnvironmentOptions = {}): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment(options);
  }

  /** Default parallelism of every operator that does not set its own. */
  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new Error(`setParallelism(${parallelism}): parallelism must be a positive integer`);
    this.parallelism = parallelism;
    return this;
  }

  getParallelism(): number {
    return this.parallelism;
  }

  /** Number of key groups (the upper bound for rescaling keyed state). Default 128. */
  setMaxParallelism(maxParallelism: number): this {
    checkMaxParallelism(maxParallelism, 1);
    this.maxParallelism = maxParallelism;
    return this;
  }

  getMaxParallelism(): number {
    return this.maxParallelism;
  }

  /** How long (ms) records may wait in a partly filled frame. Default 100; 0 flushes after every batch of input. */
  setBufferTimeout(ms: number): this {
    checkBufferTimeout(ms);
    this.bufferTimeoutMs = ms;
    return this;
  }

  getBufferTimeout(): number {
    return this.bufferTimeoutMs;
  }

  /** How often (ms, processing time) periodic watermark generators emit. Default 200; 0 turns periodic emission off. */
  setAutoWatermarkInterval(ms: number): this {
    checkBufferTimeout(ms);
    this.autoWatermarkIntervalMs = ms;
    return this;
  }

  getAutoWatermarkInterval(): number {
    return this.autoWatermarkIntervalMs;
  }

  /**
   * Sources emit latency markers every `ms` (0: off, the default); sinks record how long they took
   * to arrive in the histogram `weir_latency_ms` (labels: sink vertex, source vertex and subtask).
   */
  setLatencyTrackingInterval(ms: number): this {
    checkBufferTimeout(ms);
    this.latencyTrackingIntervalMs = ms;
    return this;
  }

  /**
   * Takes a checkpoint every `intervalMs` (exactly-once by default): on a failure the job restarts
   * from the latest one, as the restart strategy allows. Fine-tune with getCheckpointConfig().
   * @example
   * env.enableCheckpointing(1000).getCheckpointConfig().setCheckpointStorage("file:///var/weir/checkpoints");
   */
  enableCheckpointing(intervalMs: number, mode: CheckpointingMode = "exactly-once"): this {
    this.checkpointConfig.setCheckpointingMode(mode);
    this.checkpointConfig.setCheckpointInterval(intervalMs);
    return this;
  }

  getCheckpointConfig(): CheckpointConfig {
    return this.checkpointConfig;
  }

  /**
   * What happens after a failure (Flink's restart-strategy.*): none, fixed-delay, failure-rate or
   * exponential-delay. Default: fixed-delay every second, without limit, when checkpointing is
   * on; none otherwise.
   * @example
   * env.setRestartStrategy({ kind: "fixed-delay", attempts: 3, delayMs: 500 });
   */
  setRestartStrategy(strategy: RestartStrategyConfig): this {
    checkRestartStrategy(strategy);
    this.restartStrategy = strategy;
    return this;
  }

  /**
   * Where keyed state lives: "heap" (the default) or "lmdb", an embedded on-disk store for state
   * larger than memory, under `dir` on each worker (default: the system's temp directory). With
   * `incremental` (LMDB only), a checkpoint writes only what changed since the previous one.
   * @example
   * env.setStateBackend("lmdb", "/var/weir/state", { incremental: true });
   */
  setStateBackend(kind: StateBackendKind, dir?: string, options: { incremental?: boolean } = {}): this {
    if (kind !== "heap" && kind !== "lmdb") throw new Error(`setStateBackend(${JSON.stringify(kind)}): use "heap" or "lmdb"`);
    if (dir !== undefined && !isAbsolute(dir)) throw new Error(`setStateBackend("${kind}", ${JSON.stringify(dir)}): give an absolute directory`);
    if (options.incremental && kind !== "lmdb") throw new Error('incremental checkpoints need the "lmdb" backend: the heap backend writes full snapshots');
    this.stateBackend = { kind, dir, incremental: options.incremental };
    return this;
  }

  /** A non-parallel source of the given values. */
  fromElements<T>(...values: T[]): SingleOutputStreamOperator<T> {
    return this.fromSource(collectionSource(values), "Elements");
  }

  fromCollection<T>(values: Iterable<T>): SingleOutputStreamOperator<T> {
    return this.fromSource(collectionSource([...values]), "Collection");
  }

  /** A parallel source of the integers from..to, inclusive. */
  fromSequence(from: number, to: number): SingleOutputStreamOperator<number> {
    return this.fromSource(sequenceSource(from, to), "Sequence");
  }

  /** A parallel source calling `generate(index)`, optionally bounded (`count`) and rate-limited (`ratePerSecond`). */
  fromGenerator<T>(generate: (index: number) => T, options: GeneratorOptions = {}): SingleOutputStreamOperator<T> {
    return this.fromSource(generatorSource(generate, options), "Generator");
  }

  /** A source; with a watermark strategy, timestamps and watermarks are assigned right after it (chained). */
  fromSource<T>(source: Source<T>, name: string, watermarks?: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    const node = this.graph.addNode({
      name,
      kind: "source",
      chaining: "always",
      source: source as Source<unknown>,
      maxAllowedParallelism: source.parallel ? undefined : 1,
    });
    const stream = new SingleOutputStreamOperator<T>(this, node);
    return watermarks ? stream.assignTimestampsAndWatermarks(watermarks) : stream;
  }

  /** The job configuration as it will be submitted. */
  jobConfig(jobName = "weir job"): JobConfig {
    return {
      jobName,
      parallelism: this.parallelism,
      maxParallelism: this.maxParallelism,
      bufferTimeoutMs: this.bufferTimeoutMs,
      ...(this.latencyTrackingIntervalMs > 0 ? { latencyTrackingIntervalMs: this.latencyTrackingIntervalMs } : {}),
      ...(this.checkpointConfig.isCheckpointingEnabled() ? { checkpointing: this.checkpointConfig.toConfig() } : {}),
      ...(this.restartStrategy ? { restartStrategy: this.restartStrategy } : {}),
      ...(this.stateBackend.kind !== "heap" ? { stateBackend: this.stateBackend.kind, stateDir: this.stateBackend.dir } : {}),
      ...(this.stateBackend.incremental ? { incrementalCheckpoints: true } : {}),
    };
  }

  /** @internal */
  registerCollector(sinkId: string, collected: CollectedStream<unknown>): void {
    this.collectors.set(sinkId, collected);
  }

  /** Resolves a path given to the job against the submitting client's working directory. */
  resolvePath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.options.cwd ?? process.cwd(), path);
  }

  /** Runs the job to completion. Rejects with JobExecutionError if it fails or is canceled. */
  async execute(jobName?: string): Promise<JobExecutionResult> {
    return (await this.executeAsync(jobName)).result;
  }

  /**
   * Submits the job and returns at once with its client: take savepoints, stop or cancel it.
   * @example
   * const client = await env.executeAsync("counts");
   * const location = await client.stopWithSavepoint("/var/weir/savepoints");
   */
  async executeAsync(jobName?: string): Promise<JobClient> {
    const jobGraph = buildJobGraph(this.graph, this.jobConfig(jobName));
    const executor = this.options.executor ?? new EmbeddedExecutor();
    return executor.executeAsync({ jobGraph, streamGraph: this.graph, collectors: this.collectors, artifact: this.options.artifact, restoreFrom: this.options.restoreFrom });
  }
}
