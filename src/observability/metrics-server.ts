// A process's /metrics endpoint for Prometheus (a worker's; the job manager serves /metrics
// beside its REST API).

import Fastify from "fastify";
import type { PrometheusExporter } from "./prometheus.ts";

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9250/metrics */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(exporter: PrometheusExporter, options: { host: string; port: number }): Promise<MetricsServer> {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_request, reply) => reply.type(exporter.contentType).send(await exporter.text()));
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return { url: `http://${options.host}:${port}/metrics`, close: () => app.close() };
}
