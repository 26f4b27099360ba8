// Bad input on a running job's subjects: garbage, oversized, wrong-version, unknown-type and
// misaddressed messages are rejected, counted and logged once, and the job's output stays exact.
// The job manager, a worker and the client run in this process, each on its own NATS connection
// to a real nats-server, sharing one metric registry so the counts can be read.

import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Packr } from "msgpackr";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { startJobManager } from "../../src/cluster/job-manager.ts";
import { startWorker } from "../../src/cluster/task-manager.ts";
import { createJobLoader } from "../../src/cluster/job-loader.ts";
import { runJob } from "../../src/cluster/job-client.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { PROTOCOL_VERSION } from "../../src/messages/schema.ts";
import type { StreamGraph } from "../../src/graph/stream-graph.ts";
import { MetricRegistry, startNatsServer, systemClock, type NatsServerHandle } from "../../src/testing/index.ts";

const RECORDS = 20_000;
const KEYS = 50;

describe("a running job receiving bad input on its subjects", () => {
  let server: NatsServerHandle;
  const buses: NatsBus[] = [];
  const metrics = new MetricRegistry();
  const logLines: string[] = [];
  const log = pino(
    { level: "warn" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString().split("\n").filter(Boolean));
        done();
      },
    }),
  );
  const connect = async (name: string) => {
    const bus = await NatsBus.connect({ servers: server.url, name, log, metrics });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    for (const bus of buses) await bus.close();
    await server?.stop();
  });

  it("rejects and counts every bad message and still produces exact counts", async () => {
    const graphs = new Map<string, StreamGraph>();
    const jobManager = startJobManager({ bus: await connect("jm"), clock: systemClock, log, metrics });
    const worker = startWorker({ bus: await connect("worker"), clock: systemClock, log, metrics }, { slots: 2, workerId: "w1", loadJob: createJobLoader(graphs) });
    const client = await connect("client");
    const attacker = await connect("attacker");

    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const counts = env
      .fromGenerator((i) => ({ key: `k${i % KEYS}`, n: 1 }), { count: RECORDS, ratePerSecond: 8000 })
      .keyBy((r) => r.key)
      .sum("n")
      .collect();
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("bad-input"));
    const jobId = "badinput1";
    graphs.set(jobId, env.graph);
    const keyedEdge = jobGraph.edges.find((e) => e.partitioner.kind === "hash")!;

    // Inject once the job runs.
    const running = new Promise<void>((resolve) => {
      const sub = client.subscribe(subjects.jobStatus(jobId), (data) => {
        const m = decode(data, ["job-status"]);
        if (m.ok && m.message.status === "running") {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    const injected = running.then(async () => {
      const frameSubject = subjects.frames(jobId, 0, keyedEdge.id, 1, 0);
      const foreign = new Packr({ useRecords: false });
      attacker.publish(frameSubject, new Uint8Array([0xc1, 0xff, 0x00, 0x13])); // malformed
      attacker.publish(frameSubject, new Uint8Array(700 * 1024).fill(0x41)); // oversized
      attacker.publish(frameSubject, foreign.pack({ type: "frame", v: PROTOCOL_VERSION + 1, seq: 1, producer: 0, elements: [] })); // wrong version
      attacker.publish(frameSubject, foreign.pack({ type: "teleport", v: PROTOCOL_VERSION })); // unknown type
      attacker.publish(frameSubject, foreign.pack({ type: "frame", v: PROTOCOL_VERSION, seq: "one", producer: 0, elements: [] })); // invalid
      attacker.publish(subjects.frames(jobId, 0, keyedEdge.id, 1, 7), encode({ type: "frame", seq: 1, producer: 7, token: "forged", elements: [] })); // not this attempt's token
      attacker.publish(subjects.taskState(jobId), new Uint8Array([1, 2, 3])); // job master: malformed
      attacker.publish(subjects.workerControl("w1"), foreign.pack({ type: "deploy-task", v: PROTOCOL_VERSION })); // worker: invalid
      attacker.publish(subjects.heartbeat(), foreign.pack({ type: "heartbeat", v: 99 })); // resource manager: wrong version
      await attacker.flush();
    });

    const result = await runJob({ jobGraph, streamGraph: env.graph, collectors: new Map([[String(jobGraph.vertices.at(-1)!.nodes.at(-1)), counts]]) }, {
      deps: { bus: client, clock: systemClock, log, metrics },
      artifact: { kind: "in-process", key: jobId },
      jobId,
    });
    await injected;
    await worker.stop();
    jobManager.stop();

    expect(result.status).toBe("finished");
    // Exact output: per key, the running sums 1..RECORDS/KEYS, each exactly once.
    const perKey = new Map<string, number[]>();
    for (const r of counts.values as { key: string; n: number }[]) perKey.set(r.key, [...(perKey.get(r.key) ?? []), r.n]);
    expect(perKey.size).toBe(KEYS);
    for (const sums of perKey.values()) expect(sums.sort((a, b) => a - b)).toEqual(Array.from({ length: RECORDS / KEYS }, (_, i) => i + 1));

    const rejected = (reason: string, endpoint?: string) => metrics.sum("weir_rejected_messages_total", endpoint ? { reason, endpoint } : { reason });
    // The monitor watches task states and heartbeats too: it rejects what reaches it as well.
    expect(rejected("malformed")).toBe(3);
    expect(rejected("oversized")).toBe(1);
    expect(rejected("wrong-version")).toBe(3);
    expect(rejected("unknown-type")).toBe(1);
    expect(rejected("invalid")).toBe(2);
    expect(rejected("wrong-deployment")).toBe(1);
    expect(rejected("malformed", `job-master ${jobId}`)).toBe(1);
    expect(rejected("invalid", "worker w1")).toBe(1);
    expect(rejected("wrong-version", "resource-manager")).toBe(1);
    expect([rejected("malformed", "monitor"), rejected("wrong-version", "monitor")]).toEqual([1, 1]);
    // Logged once per endpoint and reason, with the subject.
    const rejectionLogs = logLines.map((l) => JSON.parse(l) as { msg: string; subject?: string; reason?: string }).filter((l) => l.msg.startsWith("rejected a bus message"));
    expect(rejectionLogs).toHaveLength(11);
    expect(rejectionLogs.every((l) => typeof l.subject === "string" && typeof l.reason === "string")).toBe(true);
  });
});
