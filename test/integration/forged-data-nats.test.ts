// A stranger on the bus — a plain nats.js client, no weir code — attacks the data plane of a job
// run by real job-manager and worker processes: a collect batch forged with the next number, a
// data frame after its channel's end of partition, and forged frames on every attempt. Each is
// refused, counted and logged once, and the job's output is exactly what it would be without it.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decode, encode } from "../../src/messages/codec.ts";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { EARLY } from "../fixtures/jobs/early-and-late.ts";
import { range } from "../fixtures/running-counts.ts";
import { waitFor } from "../fixtures/wait-for.ts";

const REJECTED = "rejected a bus message (further rejections of this kind are only counted)";
const EVENTS = 3000;

/** Every running count the keyed job must collect, as "key/count", and its input values: exact, whatever the interleaving. */
function expectedCounts(events: number, keys: number): { counts: string[]; values: number[] } {
  const totals = new Map<number, number>();
  for (const v of range(events)) totals.set(v % keys, (totals.get(v % keys) ?? 0) + 1);
  const counts = [...totals].flatMap(([key, total]) => Array.from({ length: total }, (_, i) => `${key}/${i + 1}`));
  return { counts: counts.sort(), values: range(events) };
}

function actualCounts(results: string): { counts: string[]; values: number[] } {
  const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
  return { counts: collected.map((r) => `${r.key}/${r.count}`).sort(), values: collected.map((r) => r.value).sort((a, b) => a - b) };
}

/** Lines of a process's logs with this message and rejection reason. */
function rejectionLines(logs: string, reason: string): string[] {
  return logs.split("\n").filter((line) => line.includes(REJECTED) && line.includes(`"reason":"${reason}"`));
}

describe("a stranger forging data-plane messages of a running job", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let worker: WeirProcess;
  let metricsUrl: string;
  let stranger: NatsConnection;
  const dir = mkdtempSync(join(tmpdir(), "weir-forged-"));

  beforeAll(async () => {
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url);
    worker = await startWorkerProcess(server.url, 2, "w-forged", ["--metrics-port", "0"]);
    metricsUrl = await waitFor(() => /metrics at (http:\/\/[\d.]+:\d+\/metrics)/.exec(worker.logs())?.[1], "the worker's metrics address");
  });

  afterEach(async () => {
    await stranger?.close();
  });

  afterAll(async () => {
    await Promise.all([jobManager, worker].map((p) => p?.stop()));
    await server?.stop();
  });

  /** The worker's rejection counter for `reason`, summed over its subtasks. */
  async function workerRejections(reason: string): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    const pattern = new RegExp(`^weir_rejected_messages_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)$`, "gm");
    return [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  it("refuses a collect batch forged with the next number: the real batch is taken, every record exactly once", async () => {
    stranger = await connect({ servers: server.url, name: "stranger" });
    let forged = 0;
    // After each of the first three real batches, the next number at once — ahead of the real one.
    stranger.subscribe("weir.job.*.collect", {
      callback: (_error, msg) => {
        const outcome = decode(msg.data, ["collect"]);
        if (!outcome.ok || forged >= 3) return;
        const batch = outcome.message;
        if (batch.records.length === 0) return;
        forged += 1;
        const { type: _t, v: _v, ...rest } = batch;
        stranger.publish(msg.subject, encode({ ...rest, type: "collect", seq: batch.seq + 1, last: false, records: [{ key: 0, count: 999_999, value: -1 }] }));
      },
    });
    const results = join(dir, "collected.json");
    const job = ["--checkpoints", join(dir, "cp-collect"), "--results", results, "--events", String(EVENTS), "--rate", "3000"];
    const run = await runWeir(["run", "test/fixtures/jobs/checkpointed-keyed-counts.ts", "--nats", server.url, "--", ...job]);
    expect(run.code).toBe(0);
    expect(forged).toBe(3);
    expect(actualCounts(results)).toEqual(expectedCounts(EVENTS, CHECKPOINTED_COUNTS.keys));
    // Logged once, with its context; the client says how many it dropped.
    const logged = rejectionLines(run.stderr, "wrong-deployment");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/"endpoint":"job-client".*"subject":"weir\.job\.[0-9a-f]+\.collect".*not signed with the job's collect key/);
    expect(run.stderr).toMatch(/"dropped":3.*"msg":"dropped collect batches not signed with the job's collect key"/);
  });

  it("refuses a data frame after its channel's end of partition, even with the attempt's token: the map sees each record once", async () => {
    stranger = await connect({ servers: server.url, name: "stranger" });
    const before = await workerRejections("after-end");
    let replayed = "";
    // The first channel to end is the three elements'; the generator's goes on for about two seconds.
    stranger.subscribe("weir.data.>", {
      callback: (_error, msg) => {
        const outcome = decode(msg.data, ["frame"]);
        if (!outcome.ok || replayed !== "" || outcome.message.elements.at(-1)?.kind !== "end-of-partition") return;
        replayed = msg.subject;
        const { type: _t, v: _v, ...frame } = outcome.message;
        stranger.publish(msg.subject, encode({ ...frame, type: "frame", seq: frame.seq + 1, elements: [{ kind: "records", records: [-1, -2] }] }));
      },
    });
    const results = join(dir, "early-and-late.json");
    const run = await runWeir(["run", "test/fixtures/jobs/early-and-late.ts", "--nats", server.url, "--", "--results", results, "--events", String(EVENTS)]);
    expect(run.code).toBe(0);
    expect(replayed).toMatch(/^weir\.data\./);
    const collected = JSON.parse(readFileSync(results, "utf8")) as number[];
    expect(collected.sort((a, b) => a - b)).toEqual([...EARLY, ...range(EVENTS)].sort((a, b) => a - b));
    expect(await workerRejections("after-end")).toBe(before + 1);
    const logged = rejectionLines(worker.logs(), "after-end");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/after its end of partition/);
  });

  it("refuses forged frames on every attempt — made-up tokens and the previous attempt's — so a job that fails once restarts once and is exact", async () => {
    stranger = await connect({ servers: server.url, name: "stranger" });
    const before = await workerRejections("wrong-deployment");
    const tokens = new Map<number, string>();
    const attacked = new Set<string>();
    let forged = 0;
    // On the first frame of each channel of each attempt: frame 1,000 with a made-up token, and the
    // next frame with the token of the attempt before, where there was one.
    stranger.subscribe("weir.data.>", {
      callback: (_error, msg) => {
        const outcome = decode(msg.data, ["frame"]);
        if (!outcome.ok || attacked.has(msg.subject)) return;
        attacked.add(msg.subject);
        const attempt = Number(msg.subject.split(".")[3]);
        if (!tokens.has(attempt)) tokens.set(attempt, outcome.message.token);
        const { type: _t, v: _v, ...frame } = outcome.message;
        const forgeries = [{ ...frame, seq: 1000, token: "0".repeat(32) }];
        const previous = tokens.get(attempt - 1);
        if (previous) forgeries.push({ ...frame, seq: frame.seq + 1, token: previous });
        for (const forgery of forgeries) stranger.publish(msg.subject, encode({ ...forgery, type: "frame" }));
        forged += forgeries.length;
      },
    });
    const results = join(dir, "restarted.json");
    const job = ["--checkpoints", join(dir, "cp-restart"), "--results", results, "--events", String(EVENTS), "--rate", "3000", "--fail-marker", join(dir, "failed-once")];
    const run = await runWeir(["run", "test/fixtures/jobs/checkpointed-keyed-counts.ts", "--nats", server.url, "--", ...job]);
    expect(run.code).toBe(0);
    expect(actualCounts(results)).toEqual(expectedCounts(EVENTS, CHECKPOINTED_COUNTS.keys));
    expect([...tokens.keys()]).toEqual([0, 1]);
    expect(tokens.get(0)).not.toBe(tokens.get(1));
    // Restarted once, for the injected failure; never for a forged frame.
    expect(jobManager.logs().match(/"msg":"restarting the job"/g)).toHaveLength(1);
    expect(worker.logs()).not.toMatch(/expected frame \d+, got/);
    expect(await workerRejections("wrong-deployment")).toBe(before + forged);
    expect(rejectionLines(worker.logs(), "wrong-deployment").length).toBeGreaterThan(0);
  });
});
