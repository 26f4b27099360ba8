// The embedded cluster (Flink's MiniCluster): an in-process bus, a job manager and one worker
// with enough slots, running the same actors and frames as a NATS cluster. execute() uses it
// unless another executor is configured.

import type { Bus } from "../bus/bus.ts";
import { InProcessBus } from "../bus/in-process-bus.ts";
import type { ActorDeps } from "../actors/actor-deps.ts";
import type { JobClient, JobExecutionResult, JobExecutor, PreparedJob } from "../api/executor.ts";
import type { StreamGraph } from "../graph/stream-graph.ts";
import { requiredSlots } from "../graph/job-graph.ts";
import { silentLogger, type Logger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { systemClock, type Clock } from "../core/clock.ts";
import { startJobManager, type RunningJobManager } from "./job-manager.ts";
import { createJobLoader } from "./job-loader.ts";
import { newJobId, submitJob } from "./job-client.ts";
import { startWorker, type RunningWorker } from "./task-manager.ts";

export interface MiniClusterOptions {
  slots: number;
  log?: Logger;
  metrics?: MetricRegistry;
  clock?: Clock;
  /** Wraps the in-process bus (e.g. with a trace recorder). */
  wrapBus?: (bus: Bus, actor: string) => Bus;
  /** The job manager acts as the leader of this epoch (its control messages carry it), as one elected would. */
  leaderEpoch?: number;
}

export class MiniCluster {
  readonly bus: InProcessBus;
  readonly metrics: MetricRegistry;
  private readonly graphs = new Map<string, StreamGraph>();
  private readonly jobManager: RunningJobManager;
  private readonly worker: RunningWorker;
  private readonly clientDeps: ActorDeps;

  constructor(options: MiniClusterOptions) {
    this.metrics = options.metrics ?? new MetricRegistry();
    const log = options.log ?? silentLogger();
    // The bus counts its handlers' exceptions in the cluster's registry, like a process's NatsBus.
    this.bus = new InProcessBus({ metrics: this.metrics, log });
    const clock = options.clock ?? systemClock;
    const wrap = options.wrapBus ?? ((bus: Bus) => bus);
    const deps = (actor: string): ActorDeps => ({ bus: wrap(this.bus, actor), clock, log, metrics: this.metrics });
    this.jobManager = startJobManager({ ...deps("jobmanager"), epoch: options.leaderEpoch }, { heartbeatTimeoutMs: 60_000, monitor: false, probeIntervalMs: 0, loadJob: createJobLoader(this.graphs) });
    this.worker = startWorker(deps("worker"), { slots: options.slots, workerId: "embedded-worker", loadJob: createJobLoader(this.graphs), metricsIntervalMs: 0 });
    this.clientDeps = deps("client");
  }

  /** Runs one job on this cluster. */
  async execute(job: PreparedJob, jobId = newJobId()): Promise<JobExecutionResult> {
    return (await this.submit(job, jobId)).result;
  }

  /** Submits one job to this cluster and returns its client. */
  async submit(job: PreparedJob, jobId = newJobId()): Promise<JobClient> {
    this.graphs.set(jobId, job.streamGraph);
    try {
      const client = await submitJob(job, { deps: this.clientDeps, artifact: { kind: "in-process", key: jobId }, jobId });
      void client.result.finally(() => this.graphs.delete(jobId)).catch(() => undefined);
      return client;
    } catch (error) {
      this.graphs.delete(jobId);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.worker.stop();
    this.jobManager.stop();
    await this.bus.close();
  }
}

/** The default executor: a mini cluster per job, sized to the job's slot needs. */
export class EmbeddedExecutor implements JobExecutor {
  constructor(private readonly options: Omit<MiniClusterOptions, "slots"> = {}) {}

  async execute(job: PreparedJob): Promise<JobExecutionResult> {
    return (await this.executeAsync(job)).result;
  }

  /** Starts a mini cluster for the job; it closes when the job has ended. */
  async executeAsync(job: PreparedJob): Promise<JobClient> {
    const cluster = new MiniCluster({ ...this.options, slots: requiredSlots(job.jobGraph) });
    try {
      const client = await cluster.submit(job);
      const result = client.result.finally(() => cluster.close());
      result.catch(() => undefined);
      return { ...client, result };
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }
}
