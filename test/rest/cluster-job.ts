// Submits a job module to a cluster from the test process, as `weir run --nats` does, and says
// which job graph it submitted: what the REST API must report back.

import { resolve } from "node:path";
import type { JobClient } from "../../src/api/executor.ts";
import { importJobDefinition } from "../../src/cluster/job-loader.ts";
import { RemoteExecutor } from "../../src/cluster/remote-executor.ts";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";
import { silentLogger } from "../../src/observability/logger.ts";

export async function submitJobModule(natsUrl: string, module: string, args: string[], name: string, parallelism = 2): Promise<{ client: JobClient; jobGraph: JobGraphSpec }> {
  const path = resolve(module);
  const artifact = { kind: "module" as const, path, args, cwd: process.cwd(), parallelism };
  const env = new StreamExecutionEnvironment({ executor: new RemoteExecutor({ servers: natsUrl, log: silentLogger() }), cwd: process.cwd(), parallelism, artifact });
  await (await importJobDefinition(path))(env, args);
  const jobGraph = buildJobGraph(env.graph, env.jobConfig(name));
  const client = await env.executeAsync(name);
  client.result.catch(() => undefined);
  return { client, jobGraph };
}

/** Polls `probe` until it returns a value other than undefined; fails after `limitMs` saying what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`waited ${limitMs} ms for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
}
