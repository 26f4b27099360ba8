// Exactly-once across failures on a cluster: a real nats-server, a job manager with a short
// heartbeat timeout and three workers with two slots each, running a checkpointed keyed count at
// parallelism 2. First a task fails once with checkpoints in a JetStream Object Store; then, with
// checkpoints in a shared directory, a worker running the job's subtasks is killed with SIGKILL.
// Each time the job restarts from its latest checkpoint and the client receives every key's running
// count 1..n exactly once: lost = 0 and duplicated = 0, against an expectation from the input alone;
// so do the file, PostgreSQL and JetStream sinks, and the KV sink holds each key's final count.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import pg from "pg";
import { randomBytes } from "node:crypto";
import { CHECKPOINTED_COUNTS, type KeyCount } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Objm } from "@nats-io/obj";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { hasCompletedCheckpoint, runsSubtasksOf, startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const { keys: KEYS, events: EVENTS } = CHECKPOINTED_COUNTS;

describe("a worker killed while a checkpointed job runs on a NATS cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let workers: WeirProcess[] = [];
  const workerIds = ["kill-a", "kill-b", "kill-c"];
  const dir = mkdtempSync(join(tmpdir(), "weir-worker-kill-"));
  const checkpoints = join(dir, "checkpoints");
  const results = join(dir, "results.json");

  beforeAll(async () => {
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url, ["--heartbeat-timeout", "2000"]);
    workers = await Promise.all(workerIds.map((id) => startWorkerProcess(server.url, 2, id)));
  });

  afterAll(async () => {
    await Promise.all([jobManager, ...workers].filter(Boolean).map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("with checkpoints in a JetStream Object Store, a task failure restarts from one and the counts are exactly-once; the bucket is empty once the job finished", async () => {
    const marker = join(dir, "failed-once");
    const objectResults = join(dir, "object-store-results.json");
    const run = startRun([JOB, "--nats", server.url, "--", "--storage", "object-store://weir-test-checkpoints", "--results", objectResults, "--rate", "1500", "--fail-marker", marker]);
    try {
      const jobId = await run.jobId;
      expect(await run.exit).toBe(0);
      expect(existsSync(marker)).toBe(true);
      const restart = jobManager.logs().split("\n").find((line) => line.includes('"msg":"restarting the job"') && line.includes(jobId));
      expect(restart).toMatch(/injected failure after two checkpoints/);
      expect(restart).toMatch(/"checkpointId":\d+/);
      const collected = JSON.parse(readFileSync(objectResults, "utf8")) as KeyCount[];
      expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      // The job master deleted what the finished job stored (after a moment: it cleans up as the job ends).
      const nc = await connect({ servers: server.url });
      try {
        const bucket = await new Objm(nc).open("weir-test-checkpoints");
        let left = -1;
        for (let i = 0; i < 100 && left !== 0; i++) {
          left = (await bucket.list()).filter((o) => o.name.startsWith(`${jobId}/`)).length;
          if (left !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(left).toBe(0);
      } finally {
        await nc.close();
      }
    } finally {
      run.kill();
    }
  });

  it("restarts the job from its latest checkpoint on the workers left; the client, the file, PostgreSQL and JetStream sinks get every running count exactly once, the KV sink each final count", async () => {
    // About 10 s of input: the job is still running when a checkpoint exists and the worker is killed.
    const files = join(dir, "counts");
    const database = `weir_failover_${randomBytes(4).toString("hex")}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    const url = `postgres://postgres@127.0.0.1:5432/${database}`;
    const db = new pg.Pool({ connectionString: url });
    db.on("error", () => undefined);
    db.on("connect", (client) => client.on("error", () => undefined));
    await db.query("CREATE TABLE counts (key integer, count integer, value integer)");
    const nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({ name: "COUNTS", subjects: ["counts.*"] });
    await new Kvm(nc).create("counts");
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", checkpoints, "--results", results, "--file", files, "--postgres", url, "--jetstream", server.url, "--rate", "600"]);
    try {
      const jobId = await run.jobId;
      await until("a completed checkpoint and a worker running the job", () => hasCompletedCheckpoint(checkpoints, jobId) && workers.some((w) => runsSubtasksOf(w.logs(), jobId, 0)));
      const victim = workers.find((w) => runsSubtasksOf(w.logs(), jobId, 0))!;
      const victimId = workerIds[workers.indexOf(victim)];
      const survivors = workers.filter((w) => w !== victim);
      await victim.stop("SIGKILL");

      expect(await run.exit).toBe(0);
      expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished`));
      // The job manager restarted the job from a completed checkpoint, and the client saw it restarting.
      const restart = jobManager.logs().split("\n").find((line) => line.includes('"msg":"restarting the job"') && line.includes(jobId));
      // Its connection closed with the process: the resource manager found it gone within a second or so, long before the heartbeat timeout.
      expect(restart).toContain(`"cause":"worker ${victimId} was lost (its connection is gone)"`);
      expect(restart).toMatch(/"attempt":1,"checkpointId":\d+/);
      expect(jobManager.logs().split("\n").filter((line) => line.includes(jobId) && line.includes("not restarting the job"))).toEqual([]);
      expect(run.stderr()).toMatch(/"status":"restarting","detail":"[^"]*","msg":"job status"/);
      // The second attempt ran on the workers left.
      expect(survivors.some((w) => runsSubtasksOf(w.logs(), jobId, 1))).toBe(true);

      const collected = JSON.parse(readFileSync(results, "utf8")) as KeyCount[];
      expect(tally(collected, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      expect(collected).toHaveLength(EVENTS);
      // The file sink rolled its part files back to the restored checkpoint: each running count is there once.
      expect(readdirSync(files).sort()).toEqual(["part-0", "part-1"]);
      const written = readdirSync(files).flatMap((name) => readFileSync(join(files, name), "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as KeyCount));
      expect(tally(written, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      expect(written).toHaveLength(EVENTS);
      // The PostgreSQL sink committed each checkpoint's rows once: a replay after the kill inserted none twice.
      const inserted = (await db.query<KeyCount>("SELECT key, count, value FROM counts")).rows;
      expect(tally(inserted, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      expect(inserted).toHaveLength(EVENTS);
      // The JetStream sink published each checkpoint's records under the same ids again after the kill: the server kept one of each.
      const published = await readCounts(nc);
      expect(tally(published, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
      expect(published).toHaveLength(EVENTS);
      // The KV sink holds each key's final count.
      const bucket = await new Kvm(nc).open("counts");
      const finals = new Map<number, number>();
      for await (const key of await bucket.keys()) finals.set(Number(key.slice("key-".length)), Number(new TextDecoder().decode((await bucket.get(key))!.value)));
      expect(finals).toEqual(totalsPerKey(range(EVENTS), KEYS));
    } finally {
      run.kill();
      await nc.close();
      await db.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });
});

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Every running count in the stream COUNTS, in stream order. */
async function readCounts(nc: NatsConnection): Promise<KeyCount[]> {
  const out: KeyCount[] = [];
  if ((await (await jetstreamManager(nc)).streams.info("COUNTS")).state.messages === 0) return out;
  const messages = await (await jetstream(nc).consumers.get("COUNTS")).consume();
  for await (const message of messages) {
    out.push(message.json<KeyCount>());
    if (message.info.pending === 0) break;
  }
  messages.stop();
  return out;
}
