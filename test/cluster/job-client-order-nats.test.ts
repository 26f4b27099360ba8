// The client of a submitted job says it was accepted before anything about its progress: with
// several job managers the dispatcher replies only once the job is recorded, while its job master
// already publishes its first status (waiting for slots).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { systemClock } from "../../src/core/clock.ts";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { submitJob } from "../../src/cluster/job-client.ts";
import { startJobManager, type RunningJobManager } from "../../src/cluster/job-manager.ts";
import { openKvJobStore } from "../../src/cluster/kv-job-store.ts";
import type { JobStore } from "../../src/coordinator/job-record.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.ts";
import { waitFor } from "../fixtures/wait-for.ts";

let server: NatsServerHandle;
let managerBus: NatsBus;
let clientBus: NatsBus;
let jobManager: RunningJobManager;

beforeAll(async () => {
  server = await startNatsServer();
  const log = silentLogger();
  managerBus = await NatsBus.connect({ servers: server.url, name: "order-jobmanager", log, metrics: new MetricRegistry() });
  clientBus = await NatsBus.connect({ servers: server.url, name: "order-client", log, metrics: new MetricRegistry() });
  // No worker: every job master waits for slots and says so in its first status.
  const metrics = new MetricRegistry();
  const store = await openKvJobStore(managerBus.connection, log, metrics);
  // A JetStream slow to answer (a loaded server): the first record of a job is written 500 ms late.
  const firstWrites = new Set<string>();
  const jobStore: JobStore = {
    save: async (record) => {
      if (!firstWrites.has(record.submission.jobId)) {
        firstWrites.add(record.submission.jobId);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await store.save(record);
    },
    remove: (jobId) => store.remove(jobId),
    loadAll: () => store.loadAll(),
  };
  jobManager = startJobManager({ bus: managerBus, clock: systemClock, log, metrics }, { monitor: false, probeIntervalMs: 0, jobStore });
});

afterAll(async () => {
  jobManager?.stop();
  await clientBus?.close();
  await managerBus?.close();
  await server?.stop();
});

describe("submitJob on NATS", () => {
  it("calls onAccepted before the first onProgress of each job, though the reply waits for the job's record and the job waits for slots at once", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(1, 10).print();
    const job = { jobGraph: buildJobGraph(env.graph, env.jobConfig("waits-for-slots")), streamGraph: env.graph, collectors: new Map() };
    const deps = { bus: clientBus, clock: systemClock, log: silentLogger(), metrics: new MetricRegistry() };
    for (let i = 0; i < 5; i++) {
      const calls: string[] = [];
      const client = await submitJob(job, {
        deps,
        artifact: { kind: "in-process", key: `waits-for-slots-${i}` },
        onAccepted: () => calls.push("accepted"),
        onProgress: (_jobId, status) => calls.push(status),
      });
      await waitFor(() => calls.includes("scheduling") || undefined, "the job's scheduling status");
      expect(calls[0]).toBe("accepted");
      expect(calls.filter((c) => c === "accepted")).toHaveLength(1);
      await client.cancel();
      await expect(client.result).rejects.toThrow(/canceled/);
    }
  });
});
