// Leader election over a real nats-server's KV bucket: of two job managers' elections exactly one
// leads; the other takes over with a higher epoch once the leader's lease lapses (it stops renewing)
// or at once when the leader releases it; a leader whose lease is taken from it steps down. The
// job records a leader keeps round-trip through their bucket.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { startLeaderElection } from "../../src/cluster/kv-leader-election.ts";
import { openKvJobStore } from "../../src/cluster/kv-job-store.ts";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { PROTOCOL_VERSION, type SubmitJob } from "../../src/messages/schema.ts";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/index.ts";
import { waitFor } from "../fixtures/wait-for.ts";
import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { encode } from "../../src/messages/codec.ts";

const timings = { ttlMs: 1500, renewEveryMs: 500, retryEveryMs: 250 };

describe("leader election in a JetStream KV bucket", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  function elect(bucket: string, holder: string) {
    const changes: string[] = [];
    const election = startLeaderElection({ nats: nc, clock: systemClock, log: silentLogger(), holder, timings, bucket, onLead: (epoch) => changes.push(`lead ${epoch}`), onStepDown: (epoch, reason) => changes.push(`down ${epoch}: ${reason}`) });
    return { election, changes };
  }

  it("one of two leads; when it releases its lease, the other leads with a higher epoch", async () => {
    const a = elect("lease-release", "a");
    const b = elect("lease-release", "b");
    const [ea, eb] = await Promise.all([a.election, b.election]);
    const leader = await waitFor(() => (ea.epoch() !== undefined ? { first: ea, other: eb, changes: b.changes } : eb.epoch() !== undefined ? { first: eb, other: ea, changes: a.changes } : undefined), "a leader", 10_000);
    expect([ea.epoch(), eb.epoch()].filter((e) => e !== undefined)).toHaveLength(1);
    const firstEpoch = leader.first.epoch()!;
    await leader.first.stop();
    const second = await waitFor(() => leader.other.epoch(), "the other to lead", 10_000);
    expect(second).toBeGreaterThan(firstEpoch);
    expect(leader.changes).toEqual([`lead ${second}`]);
    await leader.other.stop();
  }, 30_000);

  it("a leader whose lease is taken from it steps down at its next renewal", async () => {
    const a = elect("lease-stolen", "a");
    const ea = await a.election;
    const epoch = await waitFor(() => ea.epoch(), "a to lead", 10_000);
    // Someone else writes the key (a successor after a lapse would): the renewal's compare-and-set fails.
    const kv = await new Kvm(nc).open("lease-stolen");
    await kv.put("jobmanager", "usurper");
    await waitFor(() => (a.changes.length === 2 ? true : undefined), "a to step down", 10_000);
    expect(a.changes[0]).toBe(`lead ${epoch}`);
    expect(a.changes[1]).toMatch(new RegExp(`^down ${epoch}: renewing the lease failed: .*wrong last sequence`));
    await ea.stop();
  }, 30_000);

  it("a dead leader's lease lapses after its lifetime, and a standby takes it", async () => {
    const kv = await new Kvm(nc).create("lease-lapsed", { history: 1, ttl: timings.ttlMs });
    // A leader that wrote its lease and died: nobody renews it.
    const deadEpoch = await kv.create("jobmanager", "dead");
    const b = elect("lease-lapsed", "b");
    const eb = await b.election;
    const epoch = await waitFor(() => eb.epoch(), "b to lead", 10_000);
    expect(epoch).toBeGreaterThan(deadEpoch);
    await eb.stop();
  }, 30_000);

  it("keeps job records: saved, updated in order, read back, and deleted", async () => {
    const metrics = new MetricRegistry();
    const store = await openKvJobStore(nc, silentLogger(), metrics, "jobs-roundtrip");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSequence(1, 10).collect();
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("j"));
    const submission: SubmitJob = { type: "submit-job", v: PROTOCOL_VERSION, jobId: "abc123", artifact: { kind: "in-process", key: "abc123" }, jobGraph, secret: "0123456789abcdef0123" };
    // A record that is not one: skipped and counted, never taken over.
    await (await new Kvm(nc).open("jobs-roundtrip")).put("garbage", "{not json");
    void store.save({ submission, attempt: 0 });
    void store.save({ submission, attempt: 2, checkpoint: { id: 7, location: "file:///tmp/chk/abc123/chk-7" } });
    const [record] = await store.loadAll();
    expect(record.attempt).toBe(2);
    expect(record.checkpoint).toEqual({ id: 7, location: "file:///tmp/chk/abc123/chk-7" });
    expect(record.submission.jobId).toBe("abc123");
    expect(record.submission.secret).toBe("0123456789abcdef0123");
    expect(metrics.sum("weir_job_records_skipped_total")).toBe(1);
    expect(record.submission.jobGraph).toEqual(jobGraph);
    await store.remove("abc123");
    expect(await store.loadAll()).toEqual([]);
  }, 30_000);

  it("a job record keeps the job's start, restarts and exceptions; figures that do not fit are dropped, not the job", async () => {
    const store = await openKvJobStore(nc, silentLogger(), new MetricRegistry(), "jobs-figures");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSequence(1, 10).collect();
    const jobGraph = buildJobGraph(env.graph, env.jobConfig("j"));
    const submission = (jobId: string): SubmitJob => ({ type: "submit-job", v: PROTOCOL_VERSION, jobId, artifact: { kind: "in-process", key: jobId }, jobGraph, secret: "0123456789abcdef0123" });
    const figures = { startTime: 1_700_000_000_000, restarts: 2, exceptions: [{ timestamp: 1_700_000_005_000, message: "Error: boom", task: "\"Source: numbers\"[0] (v1)", workerId: "w1" }] };
    await store.save({ submission: submission("with-figures"), attempt: 3, figures });
    await (await new Kvm(nc).open("jobs-figures")).put("bad-figures", JSON.stringify({ submission: Buffer.from(encode(submission("bad-figures"))).toString("base64"), attempt: 1, figures: { startTime: "yesterday", restarts: -1, exceptions: [] } }));
    const records = new Map((await store.loadAll()).map((r) => [r.submission.jobId, r]));
    expect(records.get("with-figures")?.figures).toEqual(figures);
    expect([records.get("bad-figures")?.attempt, records.get("bad-figures")?.figures]).toEqual([1, undefined]);
  }, 30_000);
});
