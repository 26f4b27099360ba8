// `weir run <job>`: builds the job from its module and runs it, embedded or on a NATS cluster.

import { basename, resolve } from "node:path";
import { existsSync } from "node:fs";
import { StreamExecutionEnvironment } from "../cluster/environment.ts";
import { JobExecutionError, type JobExecutor } from "../api/executor.ts";
import { importJobDefinition } from "../cluster/job-loader.ts";
import { EmbeddedExecutor } from "../cluster/mini-cluster.ts";
import { RemoteExecutor } from "../cluster/remote-executor.ts";
import { TraceRecorder } from "../bus/trace.ts";
import { subjects } from "../bus/subjects.ts";
import { createRootLogger } from "../observability/logger.ts";
import { systemClock } from "../core/clock.ts";

export interface RunOptions {
  parallelism?: number;
  nats?: string;
  trace?: string;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  logLevel: string;
}

export async function runCommand(job: string, args: string[], options: RunOptions): Promise<void> {
  const path = resolve(job);
  if (!existsSync(path)) throw new Error(`job module ${job} not found`);
  const log = createRootLogger({ name: "weir-run", level: options.logLevel });
  const recorder = options.trace ? new TraceRecorder(systemClock, resolve(options.trace)) : undefined;
  const artifact = { kind: "module" as const, path, args, cwd: process.cwd(), parallelism: options.parallelism };

  let executor: JobExecutor;
  if (options.nats) {
    executor = new RemoteExecutor({
      servers: options.nats,
      log,
      onAccepted: (jobId) => {
        log.info({ jobId }, "job accepted");
        process.stderr.write(`job ${jobId} submitted\n`);
      },
      onProgress: (jobId, status, detail) => process.stderr.write(`job ${jobId} ${status}: ${detail}\n`),
      wrapBus: recorder
        ? (bus) => {
            // Record the whole bus, not only this client's part of it.
            bus.subscribe(subjects.everything(), (data, subject, reply) => recorder.record("deliver", "bus", subject, data, reply));
            return recorder.wrap(bus, "client");
          }
        : undefined,
    });
  } else {
    executor = new EmbeddedExecutor({ log, wrapBus: recorder ? (bus, actor) => recorder.wrap(bus, actor) : undefined });
  }

  const definition = await importJobDefinition(path);
  if (options.allowNonRestoredState && !options.fromSavepoint) throw new Error("--allow-non-restored-state goes with --from-savepoint <path>");
  const restoreFrom = options.fromSavepoint ? { location: /^[a-z-]+:\/\//.test(options.fromSavepoint) ? options.fromSavepoint : resolve(options.fromSavepoint), allowNonRestoredState: options.allowNonRestoredState ?? false } : undefined;
  const env = new StreamExecutionEnvironment({ executor, cwd: process.cwd(), parallelism: options.parallelism, artifact, restoreFrom });
  await definition(env, args);
  try {
    const result = await env.execute(basename(path).replace(/\.[cm]?[jt]s$/, ""));
    log.info({ jobId: result.jobId, durationMs: result.durationMs }, "job finished");
    process.stderr.write(`job ${result.jobId} finished in ${result.durationMs} ms\n`);
  } catch (error) {
    if (error instanceof JobExecutionError) {
      process.stderr.write(`weir: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
