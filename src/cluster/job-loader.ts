// Turns a deployed job's artifact back into its StreamGraph (the user functions) on a worker,
// and checks that it is the graph the client submitted.

import { pathToFileURL } from "node:url";
import type { StreamGraph } from "../graph/stream-graph.ts";
import { buildJobGraph } from "../graph/job-graph.ts";
import type { JobArtifact, JobGraphSpec } from "../messages/schema.ts";
import type { JobLoader } from "../actors/subtask.ts";
import { StreamExecutionEnvironment, type JobDefinition } from "./environment.ts";

/** Imports a job module and returns its default export, with a clear error if it is not a job. */
export async function importJobDefinition(path: string): Promise<JobDefinition> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new Error(`cannot load job module ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof module.default !== "function") {
    throw new Error(`job module ${path} must export a job as its default export: export default defineJob((env, args) => { ... })`);
  }
  return module.default as JobDefinition;
}

/** Runs a job module's definition on a fresh environment and returns that environment. */
export async function buildEnvironment(artifact: Extract<JobArtifact, { kind: "module" }>): Promise<StreamExecutionEnvironment> {
  const definition = await importJobDefinition(artifact.path);
  const env = new StreamExecutionEnvironment({ cwd: artifact.cwd, parallelism: artifact.parallelism, artifact });
  await definition(env, artifact.args);
  return env;
}

/**
 * A loader for one worker process. `inProcess` holds graphs of jobs that exist only in this
 * process (the embedded cluster). Graphs are built once per job and shared by its subtasks.
 */
export function createJobLoader(inProcess: ReadonlyMap<string, StreamGraph> = new Map()): JobLoader {
  const built = new Map<string, Promise<StreamGraph>>();
  return (deploy: Parameters<JobLoader>[0]) => {
    const { jobId } = deploy.task;
    let graph = built.get(jobId);
    if (!graph) {
      graph = load(deploy.artifact, deploy.jobGraph, inProcess);
      built.set(jobId, graph);
      if (built.size > 32) built.delete(built.keys().next().value!);
    }
    return graph;
  };
}

async function load(artifact: JobArtifact, submitted: JobGraphSpec, inProcess: ReadonlyMap<string, StreamGraph>): Promise<StreamGraph> {
  if (artifact.kind === "in-process") {
    const graph = inProcess.get(artifact.key);
    if (!graph) throw new Error(`job ${artifact.key} exists only in the process that built it; submit it with a job module to run it on this worker`);
    return graph;
  }
  const env = await buildEnvironment(artifact);
  const rebuilt = buildJobGraph(env.graph, submitted.config);
  if (rebuilt.digest !== submitted.digest) {
    throw new Error(
      `job module ${artifact.path} built a different graph here (digest ${rebuilt.digest}) than the client submitted (${submitted.digest}): every worker must see the same job file and arguments`,
    );
  }
  return env.graph;
}
