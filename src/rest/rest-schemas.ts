// The REST API's request and response shapes beyond the cluster's views: path parameters, bodies,
// the envelopes of lists, errors and backpressure. JSON schemas (TypeBox), so fastify validates
// requests with them and the OpenAPI document is generated from them.

import { Type, type Static } from "@sinclair/typebox";
import {
  CheckpointsViewSchema,
  ExceptionViewSchema,
  JobDetailsSchema,
  JobSummarySchema,
  OverviewSchema,
  PlanViewSchema,
  WorkerViewSchema,
} from "../observability/views.ts";

/** A job id or vertex id as weir makes them (letters, digits, '-' and '_'), so it can name a bus subject. */
const Id = (what: string) => Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$", description: `the ${what} (letters, digits, '-' and '_')` });

export const JobParamsSchema = Type.Object({ jobId: Id("job id") });
export type JobParams = Static<typeof JobParamsSchema>;

export const VertexParamsSchema = Type.Object({ jobId: Id("job id"), vertexId: Id("vertex id") });
export type VertexParams = Static<typeof VertexParamsSchema>;

const TargetDirectory = Type.String({ minLength: 1, description: "an absolute directory every worker and the job manager can reach; default: the job manager's --savepoint-dir" });

export const SavepointBodySchema = Type.Object({ targetDirectory: Type.Optional(TargetDirectory) }, { additionalProperties: false });
export type SavepointBody = Static<typeof SavepointBodySchema>;

export const StopBodySchema = Type.Object(
  {
    targetDirectory: Type.Optional(TargetDirectory),
    drain: Type.Optional(Type.Boolean({ description: "end event time first: a final watermark fires every timer and window before the job stops" })),
  },
  { additionalProperties: false },
);
export type StopBody = Static<typeof StopBodySchema>;

export const CancelQuerySchema = Type.Object({ mode: Type.Literal("cancel", { description: "the only mode: cancel the job" }) });

export const ErrorSchema = Type.Object({ error: Type.String() });

export const LocationSchema = Type.Object({ location: Type.String({ description: "where the savepoint was written" }) });
export const AcceptedSchema = Type.Object({});

export const BackpressureLevelSchema = Type.Union([Type.Literal("ok"), Type.Literal("low"), Type.Literal("high")]);
export type BackpressureLevel = Static<typeof BackpressureLevelSchema>;

/** Flink's shape: each subtask's share of time backpressured (ratio) and busy, and the worst level. */
export const BackpressureSchema = Type.Object({
  status: Type.Literal("ok"),
  backpressureLevel: BackpressureLevelSchema,
  subtasks: Type.Array(
    Type.Object({
      subtask: Type.Integer(),
      backpressureLevel: BackpressureLevelSchema,
      ratio: Type.Number({ description: "backpressured ms per second / 1000" }),
      busyRatio: Type.Number({ description: "busy ms per second / 1000" }),
    }),
  ),
});
export type Backpressure = Static<typeof BackpressureSchema>;

export const ResponseSchemas = {
  overview: OverviewSchema,
  workers: Type.Object({ workers: Type.Array(WorkerViewSchema) }),
  jobs: Type.Object({ jobs: Type.Array(JobSummarySchema) }),
  job: JobDetailsSchema,
  plan: PlanViewSchema,
  checkpoints: CheckpointsViewSchema,
  exceptions: Type.Object({ exceptions: Type.Array(ExceptionViewSchema) }),
  config: Type.Record(Type.String(), Type.Unknown()),
};
