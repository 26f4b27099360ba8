// A well-formed submission whose job graph cannot run (a negative parallelism, an edge to a vertex
// that does not exist) is refused by the dispatcher with a reply saying what is wrong, counted as
// an invalid message, and starts no job; a valid job submitted next runs. Real nats-server.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { startJobManager } from "../../src/cluster/job-manager.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { jobGraphProblems } from "../../src/graph/job-graph-check.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";
import { MetricRegistry, silentLogger, startNatsServer, systemClock, type NatsServerHandle } from "../../src/testing/index.ts";

function wordCountGraph(): JobGraphSpec {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env.fromElements("a", "b", "a").keyBy((w) => w).map((w) => w).collect();
  return buildJobGraph(env.graph, env.jobConfig("valid"));
}

describe("a job graph that cannot run", () => {
  it("is described problem by problem", () => {
    const graph = wordCountGraph();
    expect(jobGraphProblems(graph)).toEqual([]);
    const broken: JobGraphSpec = {
      ...graph,
      vertices: graph.vertices.map((v, i) => (i === 0 ? { ...v, parallelism: -1 } : i === 1 ? { ...v, maxParallelism: 0 } : v)),
      edges: [...graph.edges, { ...graph.edges[0], id: "e-stray", target: "v99" }],
    };
    expect(jobGraphProblems(broken)).toEqual([
      `vertex ${graph.vertices[0].id} has parallelism -1 (an integer in [1, ${graph.vertices[0].maxParallelism}])`,
      `vertex ${graph.vertices[1].id} has maxParallelism 0 (an integer in [1, 32768])`,
      "edge e-stray names vertex v99, which the graph does not have",
    ]);
    expect(jobGraphProblems({ ...graph, vertices: [], edges: [] })).toEqual(["it has no vertices"]);
  });

  describe("submitted to a job manager over NATS", () => {
    let server: NatsServerHandle;
    const buses: NatsBus[] = [];
    const metrics = new MetricRegistry();

    beforeAll(async () => {
      server = await startNatsServer();
    });

    afterAll(async () => {
      for (const bus of buses) await bus.close();
      await server?.stop();
    });

    it("is refused with the reason, counted as invalid, published as failed, and starts no job", async () => {
      const connect = async (name: string) => {
        const bus = await NatsBus.connect({ servers: server.url, name, log: silentLogger(), metrics });
        buses.push(bus);
        return bus;
      };
      const jobManager = startJobManager({ bus: await connect("jm"), clock: systemClock, log: silentLogger(), metrics });
      const client = await connect("client");
      const statuses: string[] = [];
      client.subscribe(subjects.jobStatus("bad-parallelism"), (data) => {
        const outcome = decode(data, ["job-status"]);
        if (outcome.ok) statuses.push(outcome.message.status);
      });
      const graph = wordCountGraph();
      const jobGraph = { ...graph, vertices: graph.vertices.map((v) => ({ ...v, parallelism: -1 })) };
      const submit = encode({ type: "submit-job", jobId: "bad-parallelism", artifact: { kind: "in-process", key: "none" }, jobGraph, secret: "0123456789abcdef" });
      const reply = decode(await client.request(subjects.submitJob(), submit, { timeoutMs: 5_000 }), ["submit-job-reply"]);
      expect(reply.ok && reply.message).toMatchObject({ jobId: "bad-parallelism", accepted: false });
      expect(reply.ok && reply.message.error).toBe(`job bad-parallelism cannot run: ${graph.vertices.map((v) => `vertex ${v.id} has parallelism -1 (an integer in [1, ${v.maxParallelism}])`).join("; ")}`);
      expect(metrics.sum("weir_rejected_messages_total", { endpoint: "dispatcher", reason: "invalid" })).toBe(1);
      // The same id is free: nothing was started for it.
      const again = decode(await client.request(subjects.submitJob(), submit, { timeoutMs: 5_000 }), ["submit-job-reply"]);
      expect(again.ok && again.message.error).toMatch(/cannot run/);
      expect(metrics.sum("weir_rejected_messages_total", { endpoint: "dispatcher", reason: "invalid" })).toBe(2);
      await client.flush();
      // Watchers (the monitor, `weir list`) hear of each refusal as a failed job; nothing ran.
      expect(statuses).toEqual(["failed", "failed"]);
      jobManager.stop();
    });
  });
});
