// Turns a deployed job's artifact back into its StreamGraph (the user functions) on a worker,
// and checks that it is the graph the client submitted. A bundle comes from the artifact cache;
// the embedded cluster hands its graphs over in process.

import { pathToFileURL } from "node:url";
import type { StreamGraph } from "../graph/stream-graph.ts";
import { buildJobGraph } from "../graph/job-graph.ts";
import type { JobArtifact, JobGraphSpec } from "../messages/schema.ts";
import type { ArtifactCache } from "./artifact-cache.ts";
import type { JobLoader } from "../actors/subtask.ts";
import { StreamExecutionEnvironment, type JobDefinition } from "./environment.ts";

/** Imports a job module and returns its default export, with a clear error if it is not a job. */
export async function importJobDefinition(path: string): Promise<JobDefinition> {
  let module: unknown;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new Error(`cannot load job module ${path}: ${(error as Error).message}`, { cause: error });
  }
  return definitionOf(module, `job module ${path}`);
}

function definitionOf(module: unknown, what: string): JobDefinition {
  const definition = (module as { default?: unknown }).default;
  if (typeof definition !== "function") {
    throw new Error(`${what} must export a job as its default export: export default defineJob((env, args) => { ... })`);
  }
  return definition as JobDefinition;
}

/**
 * A loader for one worker or job manager process. `inProcess` holds graphs of jobs that exist only
 * in this process (the embedded cluster); `artifacts` fetches the bundles of submitted jobs (a
 * process on NATS). Graphs are built once per job and shared by its subtasks (on a job manager: by
 * the split enumerators of its sources).
 */
export function createJobLoader(inProcess: ReadonlyMap<string, StreamGraph> = new Map(), artifacts?: ArtifactCache): JobLoader {
  const built = new Map<string, Promise<StreamGraph>>();
  return (deploy: Parameters<JobLoader>[0]) => {
    const { jobId } = deploy.task;
    let graph = built.get(jobId);
    if (!graph) {
      graph = load(deploy.artifact, deploy.jobGraph, inProcess, artifacts);
      built.set(jobId, graph);
      if (built.size > 32) built.delete(built.keys().next().value!);
    }
    return graph;
  };
}

async function load(artifact: JobArtifact, submitted: JobGraphSpec, inProcess: ReadonlyMap<string, StreamGraph>, artifacts: ArtifactCache | undefined): Promise<StreamGraph> {
  if (artifact.kind === "in-process") {
    const graph = inProcess.get(artifact.key);
    if (!graph) throw new Error(`job ${artifact.key} exists only in the process that built it; submit it with a job module to run it on this worker`);
    return graph;
  }
  if (!artifacts) throw new Error(`job artifact ${artifact.digest} (${artifact.module}) cannot run here: this process fetches no artifacts (it is not on NATS)`);
  const what = `job module ${artifact.module} (artifact ${artifact.digest})`;
  const definition = definitionOf(await artifacts.import(artifact), what);
  const env = new StreamExecutionEnvironment({ cwd: artifact.cwd, parallelism: artifact.parallelism });
  await definition(env, artifact.args);
  const rebuilt = buildJobGraph(env.graph, submitted.config);
  if (rebuilt.digest !== submitted.digest) {
    throw new Error(
      `${what} built a different graph here (digest ${rebuilt.digest}) than the client submitted (${submitted.digest}): its definition must build the same graph everywhere, whatever the host, the time or the files it reads`,
    );
  }
  return env.graph;
}
