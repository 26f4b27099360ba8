// Submits jobs to a job manager over NATS; workers load the job from its module path.

import type { JobExecutionResult, JobExecutor, PreparedJob } from "../api/executor.ts";
import { NatsBus } from "../bus/nats-bus.ts";
import type { Logger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { systemClock } from "../runtime/clock.ts";
import type { Bus } from "../bus/bus.ts";
import { runJob } from "./job-client.ts";

export interface RemoteExecutorOptions {
  servers: string;
  log: Logger;
  wrapBus?: (bus: Bus) => Bus;
  onAccepted?: (jobId: string) => void;
}

export class RemoteExecutor implements JobExecutor {
  constructor(private readonly options: RemoteExecutorOptions) {}

  async execute(job: PreparedJob): Promise<JobExecutionResult> {
    if (!job.artifact || job.artifact.kind !== "module") {
      throw new Error("submitting to a cluster needs the job as a module file: run it with `weir run <job.ts> --nats <url>`");
    }
    const metrics = new MetricRegistry();
    const nats = await NatsBus.connect({ servers: this.options.servers, name: "weir-client", log: this.options.log, metrics });
    const bus = this.options.wrapBus?.(nats) ?? nats;
    try {
      return await runJob(job, { deps: { bus, clock: systemClock, log: this.options.log, metrics }, artifact: job.artifact, onAccepted: this.options.onAccepted });
    } finally {
      await bus.close();
    }
  }
}
