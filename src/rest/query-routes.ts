// The REST API's read-only routes, named after Flink's: the cluster overview, the workers, the jobs
// and each job's plan, checkpoints, exceptions, configuration and backpressure. Each answers from
// ClusterQueries; an unknown job is a 404 (the server's error handler maps UnknownJobError).

import type { FastifyInstance } from "fastify";
import type { ClusterQueries } from "../cluster/cluster-queries.ts";
import { vertexBackpressure } from "./backpressure.ts";
import { HttpError } from "./http-error.ts";
import { BackpressureSchema, ErrorSchema, JobParamsSchema, ResponseSchemas, VertexParamsSchema, type JobParams, type VertexParams } from "./rest-schemas.ts";

const failures = { 400: ErrorSchema, 500: ErrorSchema };
const jobFailures = { ...failures, 404: ErrorSchema };

export function registerQueryRoutes(app: FastifyInstance, queries: ClusterQueries): void {
  app.get("/overview", { schema: { summary: "workers, slots and jobs by status", tags: ["cluster"], response: { 200: ResponseSchemas.overview, ...failures } } }, () =>
    queries.overview(),
  );

  app.get("/taskmanagers", { schema: { summary: "the registered workers and their slots", tags: ["cluster"], response: { 200: ResponseSchemas.workers, ...failures } } }, async () => ({
    workers: await queries.workers(),
  }));

  app.get("/jobs", { schema: { summary: "running jobs and recently ended ones, newest first", tags: ["jobs"], response: { 200: ResponseSchemas.jobs, ...failures } } }, async () => ({
    jobs: await queries.jobs(),
  }));

  const jobRoute = <T>(url: string, summary: string, response: object, answer: (job: Awaited<ReturnType<ClusterQueries["job"]>>) => T) =>
    app.get<{ Params: JobParams }>(url, { schema: { summary, tags: ["jobs"], params: JobParamsSchema, response: { 200: response, ...jobFailures } } }, async (request) =>
      answer(await queries.job(request.params.jobId)),
    );

  jobRoute("/jobs/:jobId", "a job: status, plan with per-subtask metrics, checkpoints, exceptions, configuration", ResponseSchemas.job, (job) => job);
  jobRoute("/jobs/:jobId/plan", "the job's vertices (with metrics) and edges", ResponseSchemas.plan, (job) => job.plan);
  jobRoute("/jobs/:jobId/checkpoints", "checkpoint counts and the latest checkpoints and savepoints, newest first", ResponseSchemas.checkpoints, (job) => job.checkpoints);
  jobRoute("/jobs/:jobId/exceptions", "the job's failures, oldest first", ResponseSchemas.exceptions, (job) => ({ exceptions: job.exceptions }));
  jobRoute("/jobs/:jobId/config", "the job's configuration as submitted", ResponseSchemas.config, (job) => job.config);

  app.get<{ Params: VertexParams }>(
    "/jobs/:jobId/vertices/:vertexId/backpressure",
    { schema: { summary: "each subtask's backpressure ratio and level (ok ≤ 0.1 < low ≤ 0.5 < high)", tags: ["jobs"], params: VertexParamsSchema, response: { 200: BackpressureSchema, ...jobFailures } } },
    async (request) => {
      const { jobId, vertexId } = request.params;
      const vertex = (await queries.job(jobId)).plan.vertices.find((v) => v.id === vertexId);
      if (!vertex) throw new HttpError(404, `job ${jobId} has no vertex ${vertexId} (GET /jobs/${jobId}/plan lists its vertices)`);
      return vertexBackpressure(vertex);
    },
  );
}
