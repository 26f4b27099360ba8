// What a cluster says about its jobs, asked as a user would: `weir list` and `weir info` against
// real job manager and worker processes, a savepoint that shows in the checkpoint history, the
// subtasks' record counts equal to what the job processed, a worker's Prometheus endpoint, and
// the exit codes of commands about unknown or ended jobs.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { JobDetails, JobSummary } from "../../src/observability/views.ts";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { busClusterQueries } from "../../src/cluster/bus-cluster-queries.ts";
import { MetricRegistry, silentLogger, runWeir, startJobManagerProcess, startNatsServer, startWeirProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { waitFor } from "../fixtures/wait-for.ts";

/** More than the test waits for: the job runs until it is stopped. */
const EVENTS = 1_000_000;

describe("a cluster that says what it runs", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-monitor-"));
  let metricsUrl: string;

  let client: NatsBus;
  /** What `weir info --json` prints, asked in-process (polls would spawn a process each). */
  const info = (jobId: string): Promise<JobDetails> => busClusterQueries(client).job(jobId);

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url));
    const worker = await startWeirProcess(["worker", "--nats", server.url, "--slots", "4", "--id", "mon-a", "--metrics-port", "0"], "metrics at");
    processes.push(worker);
    metricsUrl = /metrics at (http:\/\/[\d.]+:\d+\/metrics)/.exec(worker.logs())![1];
    client = await NatsBus.connect({ servers: server.url, name: "monitor-test", log: silentLogger(), metrics: new MetricRegistry() });
  });

  afterAll(async () => {
    await client?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists and describes a job, counts its records exactly, and records its savepoint", async () => {
    const empty = await runWeir(["list", "--nats", server.url]);
    expect(empty.stdout).toBe("no jobs\n");

    const child = spawn(process.execPath, ["bin/weir.mjs", "run", "test/fixtures/jobs/checkpointed-counts.ts", "--nats", server.url, "-p", "2", "--", "--events", String(EVENTS), "--rate", "400", "--output", join(dir, "counts")], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const jobId = await waitFor(async () => /job ([0-9a-f]+) submitted/.exec(stderr)?.[1], "the job to be submitted");

    const running = await waitFor(async () => {
      const job = await info(jobId);
      return job.status === "running" && job.plan.vertices.every((v) => v.subtasks.every((s) => s.metrics !== null)) ? job : undefined;
    }, "the job to run with figures from every subtask");
    expect(running.name).toBe("checkpointed-counts");
    expect(running.plan.vertices.map((v) => v.name)).toEqual(["Generator", "KeyedProcess -> NdjsonFileSink"]);
    expect(running.plan.vertices.map((v) => [v.id, v.parallelism, v.isSource, v.subtasks.map((s) => `${s.index}:${s.state}:${s.workerId}`)])).toEqual([
      ["v1", 2, true, ["0:running:mon-a", "1:running:mon-a"]],
      ["v2", 2, false, ["0:running:mon-a", "1:running:mon-a"]],
    ]);
    expect(running.plan.edges).toEqual([{ id: "e0", source: "v1", target: "v2", partitioner: "hash" }]);

    // The worker's Prometheus endpoint has a series per subtask.
    const scrape = await (await fetch(metricsUrl)).text();
    for (const vertex of ["v1", "v2"]) for (const subtask of ["0", "1"]) expect(scrape).toContain(`weir_task_records_in{job="${jobId}",vertex="${vertex}",subtask="${subtask}"}`);
    expect(scrape).toContain("process_cpu_user_seconds_total");

    // A savepoint taken from the CLI shows in the job's checkpoint history, acknowledged by all four subtasks.
    const savepoint = await runWeir(["savepoint", jobId, join(dir, "savepoints"), "--nats", server.url]);
    expect([savepoint.code, savepoint.stderr]).toEqual([0, ""]);
    const location = savepoint.stdout.trim();
    const withSavepoint = await waitFor(async () => {
      const job = await info(jobId);
      return job.checkpoints.history.some((c) => c.status === "completed") ? job : undefined;
    }, "the savepoint in the history");
    expect(withSavepoint.checkpoints.counts).toEqual({ completed: 1, failed: 0, aborted: 0, inProgress: 0 });
    const [entry] = withSavepoint.checkpoints.history;
    expect([entry.savepoint, entry.status, entry.location, entry.acknowledged, entry.total, entry.subtasks.length]).toEqual([true, "completed", location, 4, 4, 4]);

    // Stopped with a drain: every record the generator made before the stop reached the counter,
    // which wrote one line each. The final figures equal the lines written, exactly.
    const stop = await runWeir(["stop", jobId, "--savepoint", join(dir, "savepoints"), "--drain", "--nats", server.url]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await exit).toBe(0);
    const lines = readdirSync(join(dir, "counts")).reduce((sum, f) => sum + readFileSync(join(dir, "counts", f), "utf8").split("\n").filter((l) => l.length > 0).length, 0);
    expect(lines).toBeGreaterThan(0);
    const finished = await waitFor(async () => {
      const job = await info(jobId);
      return job.status === "finished" && job.plan.vertices[1].metrics.recordsIn === lines ? job : undefined;
    }, "the final figures");
    expect(finished.plan.vertices[0].metrics.recordsOut).toBe(lines);
    expect(finished.checkpoints.counts).toEqual({ completed: 2, failed: 0, aborted: 0, inProgress: 0 });
    expect(finished.plan.vertices[1].subtasks.map((s) => s.state)).toEqual(["finished", "finished"]);

    const list = await runWeir(["list", "--json", "--nats", server.url]);
    const jobs = JSON.parse(list.stdout) as JobSummary[];
    expect(jobs.map((j) => [j.id, j.name, j.status, j.tasks])).toEqual([[jobId, "checkpointed-counts", "finished", { finished: 4 }]]);
    const [text, json] = await Promise.all([runWeir(["info", jobId, "--nats", server.url]), runWeir(["info", jobId, "--json", "--nats", server.url])]);
    // The command prints the same view as JSON.
    expect(JSON.parse(json.stdout)).toEqual(await info(jobId));
    expect(text.stdout).toContain(`job ${jobId} "checkpointed-counts": finished`);
    expect(text.stdout).toContain("checkpoints: 2 completed, 0 failed, 0 aborted, 0 in progress");
    expect(text.stdout).toMatch(new RegExp(`\\nv2 +KeyedProcess -> NdjsonFileSink +2 +0/2 running, 2 finished +${lines} \\(0/s\\) +0 \\(0/s\\) +0% +0% +- *\\n`));

    // A job manager that restarts still lists the job, from the history in JetStream.
    await processes[0].stop();
    processes[0] = await startJobManagerProcess(server.url);
    const relisted = JSON.parse((await runWeir(["list", "--json", "--nats", server.url])).stdout) as JobSummary[];
    expect(relisted.map((j) => [j.id, j.status, j.tasks])).toEqual([[jobId, "finished", { finished: 4 }]]);
    const remembered = await info(jobId);
    expect([remembered.plan.vertices[1].metrics.recordsIn, remembered.checkpoints.counts.completed]).toEqual([lines, 2]);

    // Commands about a job that ended, or never was, say so.
    const cancelEnded = await runWeir(["cancel", jobId, "--nats", server.url]);
    expect([cancelEnded.code, cancelEnded.stderr]).toEqual([1, `weir: job ${jobId} has already finished\n`]);
    const unknowns = await Promise.all([["info", "0123456789abcdef"], ["cancel", "0123456789abcdef"], ["savepoint", "0123456789abcdef", dir]].map((args) => runWeir([...args, "--nats", server.url])));
    for (const unknown of unknowns) expect([unknown.code, unknown.stderr]).toEqual([2, "weir: no job 0123456789abcdef is known to the job manager (`weir list` shows the jobs)\n"]);
    // Not even a possible id: said at once.
    const malformed = await runWeir(["stop", "a b", "--savepoint", dir, "--nats", server.url]);
    expect([malformed.code, malformed.stderr]).toEqual([2, `weir: "a b" is not a job id (ids are letters, digits, '-' and '_'; \`weir list\` shows the jobs)\n`]);
  }, 180_000);

  it("shows backpressure: a slowed sink is busy and the source ahead of it waits for credit", async () => {
    const slowDir = mkdtempSync(join(dir, "slow-"));
    const child = spawn(process.execPath, ["bin/weir.mjs", "run", "test/fixtures/jobs/slow-sink.ts", "--nats", server.url, "--", "--dir", slowDir, "--records", "5000000"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const jobId = await waitFor(async () => /job ([0-9a-f]+) submitted/.exec(stderr)?.[1], "the job to be submitted");
    // Source and map are chained (v1); all records go to sink subtask 1 (v2), 100 µs each.
    const job = await waitFor(async () => {
      const details = await info(jobId);
      const [source, sink] = details.plan.vertices;
      const busySink = sink?.subtasks[1]?.metrics;
      return source && busySink && source.metrics.backPressuredMsPerSecond >= 500 && busySink.busyMsPerSecond >= 500 ? details : undefined;
    }, "the source to be backpressured and the sink busy");
    expect(job.plan.vertices.map((v) => v.name)).toEqual(["Generator -> Map", "Sink"]);
    expect((await runWeir(["cancel", jobId, "--nats", server.url])).code).toBe(0);
    expect(await exit).toBe(1);
  }, 120_000);

  it("counts a stranger's malformed message on the worker's /metrics", async () => {
    const before = await (await fetch(metricsUrl)).text();
    expect(before).not.toContain('weir_rejected_messages_total{endpoint="worker mon-a"');
    const nc = await connect({ servers: server.url });
    nc.publish("weir.worker.mon-a.control", new Uint8Array([1, 2, 3]));
    await nc.flush();
    await nc.close();
    const after = await waitFor(async () => {
      const text = await (await fetch(metricsUrl)).text();
      return text.includes('weir_rejected_messages_total{endpoint="worker mon-a"') ? text : undefined;
    }, "the rejection on /metrics", 10_000);
    expect(after).toMatch(/weir_rejected_messages_total\{endpoint="worker mon-a",reason="[a-z-]+"\} 1\n/);
  }, 30_000);

  it("without a job manager, list says so", async () => {
    const lonely = await startNatsServer();
    try {
      const result = await runWeir(["list", "--nats", lonely.url]);
      expect([result.code, result.stderr]).toEqual([1, "weir: no job manager answered: is `weir jobmanager` running against this NATS server?\n"]);
    } finally {
      await lonely.stop();
    }
  }, 30_000);
});
