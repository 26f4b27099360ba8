// The job manager's HTTP server: the REST API (routes after Flink's), Prometheus metrics, the
// OpenAPI document generated from the routes' schemas, and the web dashboard's static files.
// Receives HTTP requests; asks the cluster through ClusterQueries.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import { Type } from "@sinclair/typebox";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { UnknownJobError, type ClusterQueries } from "../cluster/cluster-queries.ts";
import type { Logger } from "../observability/logger.ts";
import { registerControlRoutes } from "./control-routes.ts";
import { HttpError } from "./http-error.ts";
import { registerQueryRoutes } from "./query-routes.ts";
import { validationMessage } from "./validation-message.ts";

export interface RestServerOptions {
  queries: ClusterQueries;
  host: string;
  /** 0 picks a free port; the running server says which. */
  port: number;
  /** What mutating routes require as `Authorization: Bearer <token>`. */
  token: string;
  /** Where savepoints go when a request names no targetDirectory. */
  savepointDir?: string;
  /** The Prometheus text exposition of the process's metrics. */
  metricsText: () => Promise<string>;
  /** The dashboard's build; default the package's web/dist. */
  webRoot?: string;
  log: Logger;
}

export interface RunningRestServer {
  /** e.g. http://127.0.0.1:8081 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../web/dist", import.meta.url));
const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Starts the REST API and the dashboard.
 * @example
 * const rest = await startRestServer({ queries: busClusterQueries(bus), host: "127.0.0.1", port: 8081, token, metricsText, log });
 * log.info(`dashboard at ${rest.url}/#token=${token}`);
 */
export async function startRestServer(options: RestServerOptions): Promise<RunningRestServer> {
  const app = await buildRestApp(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}

/** The server's routes without listening: for tests that inject requests. */
export async function buildRestApp(options: RestServerOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = options.log.child({ component: "rest" });
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // Unknown properties of a body are an error to report, not something to drop silently.
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: (errors, dataVar) => new HttpError(400, validationMessage(errors, dataVar)),
  });
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]} (GET /openapi.json lists the routes)` }));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "weir job manager", version: "1", description: "The REST API of a weir cluster's job manager, after Flink's." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "the token the job manager logs at startup" } } },
    },
  });

  registerQueryRoutes(app, options.queries);
  registerControlRoutes(app, options);
  app.get(
    "/metrics",
    { schema: { summary: "the job manager's metrics in the Prometheus text format", tags: ["metrics"], produces: ["text/plain"], response: { 200: Type.String() } } },
    async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).serializer(String).send(await options.metricsText()),
  );
  app.get("/openapi.json", { schema: { summary: "this document", tags: ["metrics"] } }, () => app.swagger());
  await registerDashboard(app, options.webRoot ?? DEFAULT_WEB_ROOT);
  return app;
}

/** The dashboard's files; `/` answers 503 while it is not built (checked per request, so a build needs no restart). */
async function registerDashboard(app: FastifyInstance, webRoot: string): Promise<void> {
  await app.register(fastifyStatic, { root: webRoot, prefix: "/", index: false, suppressWarning: true });
  app.get("/", { schema: { hide: true } }, (_request, reply) => {
    if (existsSync(join(webRoot, "index.html"))) return reply.sendFile("index.html");
    return reply.code(503).send({ error: `the dashboard is not built (no ${join(webRoot, "index.html")}): run \`npm run build:web\`; the REST API works meanwhile` });
  });
}

function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof UnknownJobError) return reply.code(404).send({ error: error.message });
  if (error instanceof HttpError) return reply.code(error.statusCode).send({ error: error.message });
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // fastify's own client errors: a body that is not JSON, an unsupported content type…
    return reply.code(error.statusCode).send({ error: `bad request: ${error.message} (GET /openapi.json describes every route)` });
  }
  request.log.error({ err: error, url: request.url }, "a REST request failed");
  return reply.code(500).send({ error: error.message });
}
