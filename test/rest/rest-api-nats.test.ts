// The job manager's REST API on a live cluster (NATS, a job manager and a worker process, a real
// checkpointed job): what it reports equals what was submitted; unknown jobs are 404, bad input 400;
// mutating routes need the token; a savepoint shows up in the checkpoint history; stop and cancel
// end jobs; the OpenAPI document lists every route; /metrics is Prometheus text.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { busClusterQueries } from "../../src/cluster/bus-cluster-queries.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { buildRestApp } from "../../src/rest/rest-server.ts";
import type { JobDetails, JobSummary, Overview, WorkerView } from "../../src/observability/views.ts";
import { restEndpointOf, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { submitJobModule, until } from "./cluster-job.ts";

const JOB = "test/fixtures/jobs/endless-checkpointed.ts";
const UNKNOWN = "0123456789abcdef";

describe("the REST API, on a live cluster", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  let rest: { url: string; token: string };
  const dir = mkdtempSync(join(tmpdir(), "weir-rest-"));
  let job: Awaited<ReturnType<typeof submitJobModule>>;

  const get = async (path: string) => {
    const response = await fetch(`${rest.url}${path}`);
    return { status: response.status, type: response.headers.get("content-type"), body: (await response.text()) as string };
  };
  const getJson = async <T>(path: string): Promise<T> => {
    const { status, body } = await get(path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${body}`);
    return JSON.parse(body) as T;
  };
  const send = async (method: string, path: string, options: { token?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${rest.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, authenticate: response.headers.get("www-authenticate") };
  };
  const statusOf = async (jobId: string) => (await getJson<{ jobs: JobSummary[] }>("/jobs")).jobs.find((j) => j.id === jobId)?.status;

  beforeAll(async () => {
    server = await startNatsServer();
    const jobManager = await startJobManagerProcess(server.url, ["--savepoint-dir", join(dir, "savepoints")]);
    processes.push(jobManager, await startWorkerProcess(server.url, 4, "rest-w"));
    rest = restEndpointOf(jobManager);
    job = await submitJobModule(server.url, JOB, ["--checkpoints", join(dir, "checkpoints")], "rest-counts");
    await until("the job to run", async () => ((await statusOf(job.client.jobId)) === "running" ? true : undefined));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the cluster, its worker and the job as submitted", async () => {
    const jobId = job.client.jobId;
    const overview = await getJson<Overview>("/overview");
    expect({ workers: overview.workers, slotsTotal: overview.slotsTotal, running: overview.jobs.running }).toEqual({ workers: 1, slotsTotal: 4, running: 1 });
    const { workers } = await getJson<{ workers: WorkerView[] }>("/taskmanagers");
    expect(workers.map((w) => ({ id: w.id, slots: w.slots }))).toEqual([{ id: "rest-w", slots: 4 }]);

    const plan = await getJson<JobDetails["plan"]>(`/jobs/${jobId}/plan`);
    const shape = (vertices: { id: string; name: string; parallelism: number }[]) => vertices.map(({ id, name, parallelism }) => ({ id, name, parallelism }));
    expect(shape(plan.vertices)).toEqual(shape(job.jobGraph.vertices));
    expect(plan.edges.map(({ source, target }) => ({ source, target }))).toEqual(job.jobGraph.edges.map(({ source, target }) => ({ source, target })));

    const details = await getJson<JobDetails>(`/jobs/${jobId}`);
    expect({ id: details.id, name: details.name, status: details.status }).toEqual({ id: jobId, name: "rest-counts", status: "running" });
    const { checkpointing, ...submitted } = job.jobGraph.config;
    expect(await getJson(`/jobs/${jobId}/config`)).toMatchObject({ ...submitted, checkpointing: { ...checkpointing, intervalMs: 500, storage: `file://${join(dir, "checkpoints")}` } });
    expect(await getJson(`/jobs/${jobId}/exceptions`)).toEqual({ exceptions: [] });

    const vertex = job.jobGraph.vertices[1];
    const backpressure = await getJson<{ status: string; subtasks: { subtask: number; ratio: number; backpressureLevel: string }[] }>(`/jobs/${jobId}/vertices/${vertex.id}/backpressure`);
    expect(backpressure.status).toBe("ok");
    expect(backpressure.subtasks.map((s) => s.subtask)).toEqual(Array.from({ length: vertex.parallelism }, (_, i) => i));
  });

  it("answers 404 for an unknown job or vertex and 400 for a malformed id, each saying why", async () => {
    for (const path of [`/jobs/${UNKNOWN}`, `/jobs/${UNKNOWN}/plan`, `/jobs/${UNKNOWN}/checkpoints`]) {
      expect(await get(path)).toEqual({ status: 404, type: "application/json; charset=utf-8", body: JSON.stringify({ error: `no job ${UNKNOWN} is known to the job manager (\`weir list\` shows the jobs)` }) });
    }
    const noVertex = await get(`/jobs/${job.client.jobId}/vertices/v999/backpressure`);
    expect(noVertex.status).toBe(404);
    expect(JSON.parse(noVertex.body).error).toBe(`job ${job.client.jobId} has no vertex v999 (GET /jobs/${job.client.jobId}/plan lists its vertices)`);
    const malformed = await get("/jobs/a.b");
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error).toBe("bad request: params.jobId must match ^[A-Za-z0-9_-]{1,64}$ (GET /openapi.json describes every route)");
  });

  it("takes a savepoint only with the token, and lists it in the job's checkpoints", async () => {
    const path = `/jobs/${job.client.jobId}/savepoints`;
    const anonymous = await send("POST", path, { body: {} });
    expect([anonymous.status, anonymous.authenticate]).toEqual([401, 'Bearer realm="weir"']);
    expect((await send("POST", path, { token: "wrong", body: {} })).status).toBe(403);
    const relative = await send("POST", path, { token: rest.token, body: { targetDirectory: "savepoints" } });
    expect(relative).toMatchObject({ status: 400, body: { error: 'targetDirectory "savepoints" must be an absolute path (every worker writes into it)' } });
    const typo = await send("POST", path, { token: rest.token, body: { targetDir: "/tmp" } });
    expect(typo).toMatchObject({ status: 400, body: { error: 'bad request: body has a property "targetDir" it does not know (GET /openapi.json describes every route)' } });

    const taken = await send("POST", path, { token: rest.token });
    expect(taken.status).toBe(200);
    const location = String(taken.body.location);
    expect(location).toContain(join(dir, "savepoints", `savepoint-${job.client.jobId.slice(0, 6)}-`));
    // The history names the savepoint as its reply does.
    const folder = location;
    const listed = await until("the savepoint in the checkpoint history", async () =>
      (await getJson<JobDetails["checkpoints"]>(`/jobs/${job.client.jobId}/checkpoints`)).history.find((c) => c.location === folder),
    );
    expect({ savepoint: listed.savepoint, status: listed.status }).toEqual({ savepoint: true, status: "completed" });
  });

  it("lists every route in the OpenAPI document, and serves Prometheus text with rejected messages counted", async () => {
    const doc = await getJson<{ openapi: string; paths: Record<string, Record<string, unknown>> }>("/openapi.json");
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.fromEntries(Object.entries(doc.paths).map(([path, methods]) => [path, Object.keys(methods).sort()]))).toEqual({
      "/overview": ["get"],
      "/taskmanagers": ["get"],
      "/jobs": ["get"],
      "/jobs/{jobId}": ["get", "patch"],
      "/jobs/{jobId}/plan": ["get"],
      "/jobs/{jobId}/checkpoints": ["get"],
      "/jobs/{jobId}/exceptions": ["get"],
      "/jobs/{jobId}/config": ["get"],
      "/jobs/{jobId}/vertices/{vertexId}/backpressure": ["get"],
      "/jobs/{jobId}/savepoints": ["post"],
      "/jobs/{jobId}/stop": ["post"],
      "/metrics": ["get"],
      "/openapi.json": ["get"],
    });

    const stranger = await connect({ servers: server.url, name: "stranger" });
    stranger.publish(subjects.submitJob(), new Uint8Array([0xc1, 0xff, 0x00]));
    await stranger.flush();
    await stranger.close();
    const metrics = await until("weir_rejected_messages_total in /metrics", async () => {
      const answer = await get("/metrics");
      return answer.body.includes("weir_rejected_messages_total{") ? answer : undefined;
    });
    expect(metrics.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|\+Inf|-Inf)( -?[0-9]+)?$/;
    const bad = metrics.body.split("\n").filter((line) => line !== "" && !line.startsWith("# HELP ") && !line.startsWith("# TYPE ") && !sample.test(line));
    expect(bad).toEqual([]);
    expect(metrics.body).toMatch(/^# TYPE weir_rejected_messages_total counter$/m);
    // The cluster as the job manager's monitor sees it: one worker with four slots.
    expect(metrics.body).toMatch(/^weir_workers 1$/m);
    expect(metrics.body).toMatch(/^weir_slots_total 4$/m);
  });

  it("answers 503 at / while the dashboard is not built, and serves the API meanwhile", async () => {
    const bus = await NatsBus.connect({ servers: server.url, name: "rest-test", log: silentLogger(), metrics: new MetricRegistry() });
    const webRoot = join(dir, "no-dashboard");
    const app = await buildRestApp({ queries: busClusterQueries(bus), host: "127.0.0.1", port: 0, token: "t", metricsText: async () => "", webRoot, log: silentLogger() });
    try {
      const page = await app.inject({ method: "GET", url: "/" });
      expect([page.statusCode, page.json()]).toEqual([503, { error: `the dashboard is not built (no ${join(webRoot, "index.html")}): run \`npm run build:web\`; the REST API works meanwhile` }]);
      const workers = await app.inject({ method: "GET", url: "/taskmanagers" });
      expect(workers.json().workers.map((w: WorkerView) => w.id)).toEqual(["rest-w"]);
    } finally {
      await app.close();
      await bus.close();
    }
  });

  it("stops a job with a savepoint, and cancels another: both end as /jobs says", async () => {
    const cancelPath = `/jobs/${job.client.jobId}?mode=cancel`;
    expect((await send("PATCH", cancelPath)).status).toBe(401);
    expect((await send("PATCH", `/jobs/${job.client.jobId}?mode=stop`, { token: rest.token })).status).toBe(400);
    expect(await send("PATCH", cancelPath, { token: rest.token })).toMatchObject({ status: 202, body: {} });
    await until("the job to be canceled", async () => ((await statusOf(job.client.jobId)) === "canceled" ? true : undefined));
    await expect(job.client.result).rejects.toThrow(/canceled/);

    const second = await submitJobModule(server.url, JOB, ["--checkpoints", join(dir, "checkpoints-2")], "rest-stop");
    await until("the second job to run", async () => ((await statusOf(second.client.jobId)) === "running" ? true : undefined));
    const stopped = await send("POST", `/jobs/${second.client.jobId}/stop`, { token: rest.token, body: { targetDirectory: join(dir, "stopped"), drain: false } });
    expect(stopped.status).toBe(200);
    expect(String(stopped.body.location)).toContain(join(dir, "stopped", `savepoint-${second.client.jobId.slice(0, 6)}-`));
    await until("the stopped job to finish", async () => ((await statusOf(second.client.jobId)) === "finished" ? true : undefined));
  });
});
