// Submits jobs to a job manager over NATS; workers load the job from its module path.

import type { JobClient, JobExecutionResult, JobExecutor, PreparedJob } from "../api/executor.ts";
import { NatsBus } from "../bus/nats-bus.ts";
import type { Logger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { systemClock } from "../core/clock.ts";
import type { Bus } from "../bus/bus.ts";
import type { NatsLogin } from "../bus/nats-login.ts";
import { submitJob, type RunJobOptions } from "./job-client.ts";

export interface RemoteExecutorOptions {
  servers: string;
  /** Credentials and TLS for the NATS server (default: none). */
  login?: NatsLogin;
  log: Logger;
  wrapBus?: (bus: Bus) => Bus;
  onAccepted?: (jobId: string) => void;
  onProgress?: RunJobOptions["onProgress"];
}

export class RemoteExecutor implements JobExecutor {
  constructor(private readonly options: RemoteExecutorOptions) {}

  async execute(job: PreparedJob): Promise<JobExecutionResult> {
    return (await this.executeAsync(job)).result;
  }

  /** Submits the job; the client's connection closes when the job has ended. */
  async executeAsync(job: PreparedJob): Promise<JobClient> {
    if (job.artifact?.kind !== "module") {
      throw new Error("submitting to a cluster needs the job as a module file: run it with `weir run <job.ts> --nats <url>`");
    }
    const metrics = new MetricRegistry();
    const nats = await NatsBus.connect({ servers: this.options.servers, login: this.options.login, name: "weir-client", log: this.options.log, metrics });
    const bus = this.options.wrapBus?.(nats) ?? nats;
    try {
      const client = await submitJob(job, { deps: { bus, clock: systemClock, log: this.options.log, metrics, nats: nats.connection }, artifact: job.artifact, onAccepted: this.options.onAccepted, onProgress: this.options.onProgress });
      const result = client.result.finally(() => bus.close());
      result.catch(() => undefined);
      return { ...client, result };
    } catch (error) {
      await bus.close();
      throw error;
    }
  }
}
