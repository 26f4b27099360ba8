// A job manager that becomes the leader while JetStream cannot give its job records (the records'
// stream has no replica up, as while a NATS cluster elects its stream leaders after servers came
// back) asks for them again while it holds the lease, and takes the jobs over once they come: it
// does not fail (a failure made `weir jobmanager` exit, and in a chaos run both job managers exited).

import { afterAll, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { pino } from "pino";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { startHighlyAvailableJobManager, type HighlyAvailableJobManager } from "../../src/cluster/ha-job-manager.ts";
import { openKvJobStore } from "../../src/cluster/kv-job-store.ts";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { systemClock } from "../../src/core/clock.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { PROTOCOL_VERSION, type SubmitJob } from "../../src/messages/schema.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { startNatsCluster, type NatsClusterHandle } from "../../src/testing/index.ts";
import { waitFor } from "../fixtures/wait-for.ts";

/** A logger whose lines (JSON) are kept for the test to read. */
function recordingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: "info" }, sink);
  return { log, lines };
}

describe("a new leading job manager while JetStream cannot give its job records", () => {
  let cluster: NatsClusterHandle | undefined;
  let nc: NatsConnection | undefined;
  let bus: NatsBus | undefined;
  let jobManager: HighlyAvailableJobManager | undefined;
  afterAll(async () => {
    await jobManager?.stop();
    await bus?.close();
    await nc?.close();
    await cluster?.stop();
  });

  it("asks again while it holds the lease and takes the job over once they come back, without failing", async () => {
    cluster = await startNatsCluster(3);
    nc = await connect({ servers: cluster.urls.split(",") });
    // The records on one replica: one server's kill takes them away, while the lease's bucket (three replicas) stays.
    await new Kvm(nc).create("quorum-jobs", { history: 1, replicas: 1 });
    const store = await openKvJobStore(nc, silentLogger(), new MetricRegistry(), "quorum-jobs");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSequence(1, 10).collect();
    const submission: SubmitJob = { type: "submit-job", v: PROTOCOL_VERSION, jobId: "quorum1", artifact: { kind: "in-process", key: "quorum1" }, jobGraph: buildJobGraph(env.graph, env.jobConfig("q")), secret: "0123456789abcdef0123" };
    await store.save({ submission, attempt: 0 });
    const host = (await (await jetstreamManager(nc)).streams.info("KV_quorum-jobs")).cluster?.leader;
    const hostNode = cluster.nodes[Number(/^n(\d)$/.exec(host ?? "")?.[1]) - 1];
    expect(hostNode).toBeDefined();

    const { log, lines } = recordingLogger();
    const metrics = new MetricRegistry();
    const others = cluster.nodes.filter((node) => node !== hostNode).map((node) => node.url).join(",");
    bus = await NatsBus.connect({ servers: others, name: "quorum-test", log, metrics });
    const failures: string[] = [];
    const leading: number[] = [];
    jobManager = await startHighlyAvailableJobManager(
      { bus, clock: systemClock, log, metrics, nats: bus.connection },
      { monitor: false, onFailure: (actor, error) => failures.push(`${actor}: ${(error as Error).message}`) },
      { nats: bus.connection, holder: "quorum-test", timings: { ttlMs: 3000, renewEveryMs: 1000, retryEveryMs: 500 }, leaderBucket: "quorum-leader", jobBucket: "quorum-jobs", onLeadership: (change) => void (change.leading && leading.push(change.takenOver)) },
    );
    await waitFor(() => (leading.length === 1 ? true : undefined), "the job manager to lead", 30_000);
    expect(leading).toEqual([1]);

    // The records' only server goes; the lease is taken from the leader, so it leads again and must read them.
    const lease = await new Kvm(nc).open("quorum-leader");
    await hostNode.kill();
    // Asked again while the lease's stream elects a leader, if the killed server led it.
    await waitFor(() => lease.delete("jobmanager").then(() => true, () => undefined), "the lease to be taken from the leader", 30_000);
    await waitFor(() => (failures.length > 0 || lines.some((line) => line.includes("could not read the job records")) ? true : undefined), "the new leader to fail or to wait for its records", 60_000);
    expect(failures).toEqual([]);
    expect(leading).toEqual([1]);

    await hostNode.restart();
    await waitFor(() => (leading.length === 2 || failures.length > 0 ? true : undefined), "the job manager to lead again", 60_000);
    expect(failures).toEqual([]);
    expect(leading).toEqual([1, 1]);
    // Said once per lead: a leader that loses the lease while it waits and leads again says it again.
    expect(lines.filter((line) => line.includes("could not read the job records")).length).toBeGreaterThan(0);
  }, 120_000);
});
