// The PostgreSQL sink's upsert mode on a NATS cluster: a real nats-server, a job manager and two
// worker processes with two slots each, running a checkpointed running count per key (parallelism
// 2) into a table keyed by `key`. A worker running the job's subtasks is killed with SIGKILL
// mid-run; the job restarts from its latest checkpoint on the worker left, and the table ends
// holding each key's count exactly as counted from the input alone: a commit replayed after the
// kill is skipped, and the replayed records upsert the same counts again.

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { CHECKPOINTED_COUNTS } from "../fixtures/jobs/checkpointed-keyed-counts.ts";
import { range, totalsPerKey } from "../fixtures/running-counts.ts";
import { hasCompletedCheckpoint, runsSubtasksOf, startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/checkpointed-keyed-counts.ts";
const ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
const { keys: KEYS, events: EVENTS } = CHECKPOINTED_COUNTS;

describe("the PostgreSQL sink in upsert mode, with a worker killed mid-run on a NATS cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  let workers: WeirProcess[] = [];
  const workerIds = ["upsert-a", "upsert-b"];
  const dir = mkdtempSync(join(tmpdir(), "weir-upsert-kill-"));
  const checkpoints = join(dir, "checkpoints");
  const database = `weir_upsert_${randomBytes(4).toString("hex")}`;
  const url = `postgres://postgres@127.0.0.1:5432/${database}`;
  let db: pg.Pool;

  beforeAll(async () => {
    await adminQuery(`CREATE DATABASE ${database}`);
    db = new pg.Pool({ connectionString: url });
    // Dropping the database at the end ends its connections: the pool's idle ones included.
    db.on("error", () => undefined);
    // Tests end connections on purpose (pg_terminate_backend, DROP DATABASE … WITH (FORCE)): a checked-out client's error event too.
    db.on("connect", (client) => client.on("error", () => undefined));
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url, ["--heartbeat-timeout", "2000"]);
    workers = await Promise.all(workerIds.map((id) => startWorkerProcess(server.url, 2, id)));
  });

  afterAll(async () => {
    await Promise.all([jobManager, ...workers].filter(Boolean).map((p) => p.stop()));
    await server?.stop();
    await db?.end();
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  });

  it("the table holds each key's final running count, equal to the count computed from the input", async () => {
    await db.query("CREATE TABLE latest (key integer PRIMARY KEY, count integer NOT NULL, value integer NOT NULL)");
    // About 10 s of input: the job is still running when a checkpoint exists and the worker is killed.
    const run = startRun([JOB, "--nats", server.url, "--", "--checkpoints", checkpoints, "--results", join(dir, "results.json"), "--postgres-upsert", url, "--rate", "600"]);
    try {
      const jobId = await run.jobId;
      let upserted = 0;
      await until("a completed checkpoint, a committed upsert and a worker running the job", async () => {
        upserted = Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM latest")).rows[0].n);
        return hasCompletedCheckpoint(checkpoints, jobId) && upserted > 0 && workers.some((w) => runsSubtasksOf(w.logs(), jobId, 0));
      });
      const victim = workers.find((w) => runsSubtasksOf(w.logs(), jobId, 0))!;
      const survivor = workers.find((w) => w !== victim)!;
      await victim.stop("SIGKILL");

      expect(await run.exit).toBe(0);
      expect(run.stderr()).toMatch(new RegExp(`job ${jobId} finished`));
      const restart = jobManager.logs().split("\n").find((line) => line.includes('"msg":"restarting the job"') && line.includes(jobId));
      expect(restart).toContain(`"cause":"worker ${workerIds[workers.indexOf(victim)]} was lost`);
      expect(restart).toMatch(/"attempt":1,"checkpointId":\d+/);
      expect(runsSubtasksOf(survivor.logs(), jobId, 1)).toBe(true);

      const finals = new Map((await db.query<{ key: number; count: number }>("SELECT key, count FROM latest")).rows.map((r) => [r.key, r.count]));
      expect(finals).toEqual(totalsPerKey(range(EVENTS), KEYS));
      // Each sink subtask committed its epochs once each, all of this job.
      const commits = (await db.query<{ epoch: string }>("SELECT epoch FROM weir_sink_commits WHERE sink_id = 'latest'")).rows;
      expect(commits.length).toBeGreaterThan(2);
      expect(commits.every((c) => c.epoch.startsWith(`${jobId}/`))).toBe(true);
    } finally {
      run.kill();
    }
  });
});

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
