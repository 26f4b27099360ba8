// The REST API's routes that change a job: a savepoint, stop with a savepoint, cancel. Each needs
// `Authorization: Bearer <token>` (401 without one, 403 with a wrong one). A job that cannot do
// what is asked (not running, the savepoint failed) is a 409 with the cluster's reason.

import { createHash, timingSafeEqual } from "node:crypto";
import { isAbsolute } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { UnknownJobError, type ClusterQueries } from "../cluster/cluster-queries.ts";
import { HttpError } from "./http-error.ts";
import { AcceptedSchema, CancelQuerySchema, ErrorSchema, JobParamsSchema, LocationSchema, SavepointBodySchema, StopBodySchema, type JobParams, type SavepointBody, type StopBody } from "./rest-schemas.ts";

export interface ControlOptions {
  queries: ClusterQueries;
  token: string;
  savepointDir?: string;
}

const failures = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 500: ErrorSchema };
const security = [{ bearer: [] }];

export function registerControlRoutes(app: FastifyInstance, options: ControlOptions): void {
  const authorize = bearerCheck(options.token);
  const directory = (asked: string | undefined): string => {
    const dir = asked ?? options.savepointDir;
    if (dir === undefined) throw new HttpError(400, "no savepoint directory: pass targetDirectory in the body, or start the job manager with --savepoint-dir <dir>");
    if (!isAbsolute(dir)) throw new HttpError(400, `targetDirectory ${JSON.stringify(dir)} must be an absolute path (every worker writes into it)`);
    return dir;
  };

  app.post<{ Params: JobParams; Body: SavepointBody }>(
    "/jobs/:jobId/savepoints",
    { onRequest: authorize, preValidation: noBodyIsEmpty, schema: { summary: "take a savepoint of a running job; answers once it is complete", tags: ["control"], security, params: JobParamsSchema, body: SavepointBodySchema, response: { 200: LocationSchema, ...failures } } },
    async (request) => {
      const dir = directory(request.body.targetDirectory);
      return { location: await refusedAsConflict(options.queries.savepoint(request.params.jobId, dir)) };
    },
  );

  app.post<{ Params: JobParams; Body: StopBody }>(
    "/jobs/:jobId/stop",
    { onRequest: authorize, preValidation: noBodyIsEmpty, schema: { summary: "stop a running job with a savepoint (with drain: end event time first)", tags: ["control"], security, params: JobParamsSchema, body: StopBodySchema, response: { 200: LocationSchema, ...failures } } },
    async (request) => {
      const dir = directory(request.body.targetDirectory);
      const mode = request.body.drain ? "drain" : "terminate";
      return { location: await refusedAsConflict(options.queries.savepoint(request.params.jobId, dir, mode)) };
    },
  );

  app.patch<{ Params: JobParams }>(
    "/jobs/:jobId",
    { onRequest: authorize, schema: { summary: "cancel a job (mode=cancel); answers once the job master has it", tags: ["control"], security, params: JobParamsSchema, querystring: CancelQuerySchema, response: { 202: AcceptedSchema, ...failures } } },
    async (request, reply) => {
      await refusedAsConflict(options.queries.cancel(request.params.jobId));
      return reply.code(202).send({});
    },
  );
}

/** A job the cluster knows but that refuses (not running, savepoint failed): 409 with its reason. */
async function refusedAsConflict<T>(outcome: Promise<T>): Promise<T> {
  try {
    return await outcome;
  } catch (error) {
    if (error instanceof UnknownJobError || !(error instanceof Error)) throw error;
    throw new HttpError(409, error.message);
  }
}

/** A POST with no body at all asks for the defaults, as `{}` does. */
async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

function bearerCheck(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(token);
  return async (request, reply) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      reply.header("www-authenticate", 'Bearer realm="weir"');
      throw new HttpError(401, "this route changes a job: send the job manager's token as `Authorization: Bearer <token>` (the job manager logs it at startup)");
    }
    if (!timingSafeEqual(digest(match[1]), expected)) throw new HttpError(403, "wrong token: use the one the job manager logged at startup (--rest-token or $WEIR_REST_TOKEN)");
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
