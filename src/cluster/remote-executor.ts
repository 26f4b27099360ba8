// Submits jobs to a job manager over NATS: bundles the job module (job-bundle.ts), uploads the
// bundle to the artifact bucket unless it is there, and submits the job naming it by digest.

import type { JobClient, JobExecutionResult, JobExecutor, PreparedJob } from "../api/executor.ts";
import { NatsBus } from "../bus/nats-bus.ts";
import type { Logger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { systemClock } from "../core/clock.ts";
import type { Bus } from "../bus/bus.ts";
import type { NatsLogin } from "../bus/nats-login.ts";
import { submitJob, type RunJobOptions } from "./job-client.ts";
import { bundleJobModule, type JobBundle } from "./job-bundle.ts";
import { ArtifactStore } from "./artifact-store.ts";

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
  private readonly bundles = new Map<string, Promise<JobBundle>>();

  constructor(private readonly options: RemoteExecutorOptions) {}

  /**
   * Bundles the job module at `path` (once; executeAsync uses the same bundle). `weir run` calls it
   * before importing the module, so a module that does not bundle fails naming its file and error.
   */
  bundle(path: string): Promise<JobBundle> {
    let bundle = this.bundles.get(path);
    if (!bundle) {
      bundle = bundleJobModule(path);
      this.bundles.set(path, bundle);
    }
    return bundle;
  }

  async execute(job: PreparedJob): Promise<JobExecutionResult> {
    return (await this.executeAsync(job)).result;
  }

  /** Submits the job; the client's connection closes when the job has ended. */
  async executeAsync(job: PreparedJob): Promise<JobClient> {
    if (job.artifact?.kind !== "module") {
      throw new Error("submitting to a cluster needs the job as a module file: run it with `weir run <job.ts> --nats <url>`");
    }
    const { path, args, cwd, parallelism } = job.artifact;
    // Before connecting: a module that does not bundle fails at once, naming its file and error.
    const bundle = await this.bundle(path);
    const metrics = new MetricRegistry();
    const log = this.options.log;
    const nats = await NatsBus.connect({ servers: this.options.servers, login: this.options.login, name: "weir-client", log, metrics });
    const bus = this.options.wrapBus?.(nats) ?? nats;
    try {
      const store = await ArtifactStore.open(nats.connection, "create").catch((error: Error) => {
        throw new Error(`cannot open the job artifact bucket on ${this.options.servers} (a cluster needs JetStream: nats-server -js): ${error.message}`, { cause: error });
      });
      const upload = await store.upload(bundle);
      log.info({ digest: bundle.digest, bytes: bundle.bytes.length, upload }, upload === "uploaded" ? "job artifact uploaded" : "job artifact already stored");
      const artifact = { kind: "bundle" as const, digest: bundle.digest, module: bundle.module, args, cwd, parallelism };
      const client = await submitJob(job, { deps: { bus, clock: systemClock, log, metrics, nats: nats.connection }, artifact, onAccepted: this.options.onAccepted, onProgress: this.options.onProgress });
      const result = client.result.finally(() => bus.close());
      result.catch(() => undefined);
      return { ...client, result };
    } catch (error) {
      await bus.close();
      throw error;
    }
  }
}
