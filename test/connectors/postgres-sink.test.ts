// The PostgreSQL sink against the real server on 127.0.0.1:5432, in a database of its own:
// exactly-once across a failure (a map that throws once after completed checkpoints; every key's
// running count is in the table exactly once: lost = 0, duplicated = 0), a second run of the same
// job writing its rows again, rows written as they come without checkpoints, clear errors for
// bad options and an unreachable database; and upsert mode: each key's final count across a
// failure and without checkpoints (many updates of a key in one batch), and a table without a
// unique key on the key's columns refused at open.

import pg from "pg";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobExecutionError, StreamExecutionEnvironment, postgresSink } from "../../src/index.ts";
import { heldSource } from "../checkpoint/held-source.ts";
import { FailOnceAfterCheckpoints } from "../fixtures/fail-once.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";

const ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
const KEYS = 7;
const EVENTS = 6_000;

describe("the PostgreSQL sink", () => {
  const database = `weir_sink_${randomBytes(4).toString("hex")}`;
  const url = `postgres://postgres@127.0.0.1:5432/${database}`;
  let db: pg.Pool;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    db = new pg.Pool({ connectionString: url });
    // The test ends connections to this database (below): the pool's idle ones included.
    db.on("error", () => undefined);
    // Tests end connections on purpose (pg_terminate_backend, DROP DATABASE … WITH (FORCE)): a checked-out client's error event too.
    db.on("connect", (client) => client.on("error", () => undefined));
  });

  afterAll(async () => {
    await db?.end();
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  const rows = async (table: string): Promise<KeyCount[]> => (await db.query<KeyCount>(`SELECT key, count, value FROM ${table}`)).rows;

  it("writes every running count exactly once across a failure and a restart from a checkpoint", async () => {
    await db.query("CREATE TABLE counts (key integer, count integer, value integer)");
    const shared = { failed: 0, completed: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(30);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 2, end: () => shared.failed > 0 }), "Numbers")
      .map(new FailOnceAfterCheckpoints(shared))
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .sinkTo(postgresSink<KeyCount>({ connectionString: url, table: "counts", columns: ["key", "count", "value"], row: (r) => [r.key, r.count, r.value], batchSize: 100 }));
    await env.execute("postgres-exactly-once");
    expect(shared.failed).toBe(1);
    const written = await rows("counts");
    expect(tally(written, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(written).toHaveLength(EVENTS);
    // Each subtask committed each epoch of this job once; the rows after the last checkpoint under an end epoch.
    const commits = (await db.query<{ subtask: number; epoch: string }>("SELECT subtask, epoch FROM weir_sink_commits WHERE sink_id = 'counts'")).rows;
    expect(commits.length).toBeGreaterThanOrEqual(2);
    expect(commits.every((c) => /^[0-9a-f]+\/checkpoint-\d+$/.test(c.epoch) && (c.subtask === 0 || c.subtask === 1))).toBe(true);
    expect(new Set(commits.map((c) => c.epoch.split("/")[0])).size).toBe(1);
  });

  it("connections the server ends mid-run do not crash the process, and every running count is written once", async () => {
    await db.query("CREATE TABLE cut (key integer, count integer, value integer)");
    const shared = { completed: 0, cut: 0 };
    const ended: Promise<unknown>[] = [];
    /** At the second completed checkpoint notice, once: the server ends every connection to the database. */
    class CutConnections {
      private readonly ref = () => shared;
      map(value: number): number {
        return value;
      }
      notifyCheckpointComplete(): void {
        const state = this.ref();
        state.completed += 1;
        if (state.completed >= 2 && state.cut === 0) {
          state.cut = 1;
          ended.push(adminQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database]));
        }
      }
    }
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(30);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 3, delayMs: 10 });
    env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.cut > 0 && shared.completed >= 6, end: () => true }), "Numbers")
      .map(new CutConnections())
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .sinkTo(postgresSink<KeyCount>({ connectionString: url, table: "cut", columns: ["key", "count", "value"], row: (r) => [r.key, r.count, r.value], batchSize: 100 }));
    await env.execute("postgres-connections-cut");
    await Promise.all(ended);
    expect(shared.cut).toBe(1);
    const written = await rows("cut");
    expect(tally(written, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(written).toHaveLength(EVENTS);
  });

  it("a second run of the same job writes its rows again: its epochs are its own", async () => {
    await db.query("CREATE TABLE reruns (key integer, count integer, value integer)");
    for (let run = 0; run < 2; run++) {
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      env.enableCheckpointing(30);
      env
        .fromSequence(0, 499)
        .keyBy((v) => v % KEYS)
        .process(new RunningCount())
        .sinkTo(postgresSink<KeyCount>({ connectionString: url, table: "reruns", columns: ["key", "count", "value"], row: (r) => [r.key, r.count, r.value] }));
      await env.execute("postgres-rerun");
    }
    // Every running count of the job, once per run.
    const times = new Map<string, number>();
    for (const r of await rows("reruns")) times.set(`${r.key}/${r.count}`, (times.get(`${r.key}/${r.count}`) ?? 0) + 1);
    const expected = [...totalsPerKey(range(500), KEYS)].flatMap(([key, total]) => range(total).map((c) => `${key}/${c + 1}`));
    expect([...times.keys()].sort()).toEqual(expected.sort());
    expect(new Set(times.values())).toEqual(new Set([2]));
  });

  it("without checkpoints, writes rows as they come", async () => {
    await db.query("CREATE TABLE plain (key integer, count integer, value integer)");
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(0, 999)
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .sinkTo(postgresSink<KeyCount>({ connectionString: url, table: "plain", columns: ["key", "count", "value"], row: (r) => [r.key, r.count, r.value] }));
    await env.execute("postgres-plain");
    const written = await rows("plain");
    expect(tally(written, totalsPerKey(range(1000), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(written).toHaveLength(1000);
  });

  it("refuses bad options when the job is built, and fails the job when the database cannot be reached", async () => {
    expect(() => postgresSink({ connectionString: "", table: "", columns: [], row: undefined as unknown as () => [] })).toThrow(
      "postgresSink: connectionString must be a postgres:// URL; table must name a table; columns must list at least one column name; row must be a function from a record to its column values",
    );
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSequence(0, 9).sinkTo(postgresSink<number>({ connectionString: "postgres://weir:secret@127.0.0.1:1/none", table: "t", columns: ["n"], row: (n) => [n] }));
    const error = await env.execute("postgres-unreachable").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toMatch(/postgres sink t: cannot use postgres:\/\/weir:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
    expect((error as Error).message).not.toContain("secret");
  });
  it("a table that does not exist fails a checkpointed job at once, without restarts, naming the table", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    // Checkpointing on and no restart strategy: the default restarts without end.
    env.enableCheckpointing(50);
    env.fromSequence(0, 9).sinkTo(postgresSink<number>({ connectionString: url, table: "no_such_table", columns: ["n"], row: (n) => [n] }));
    const error = await env.execute("postgres-missing-table").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    const message = (error as Error).message;
    expect(message).toMatch(/UnrecoverableError: postgres sink no_such_table: cannot use postgres:\/\/postgres@127\.0\.0\.1:5432\/weir_sink_[0-9a-f]+: relation "no_such_table" does not exist \(not restarted: no restart can cure this failure\)$/);
    expect(message).not.toMatch(/\n\s+at /);
  });

  describe("in upsert mode", () => {
    const upsert = (table: string) =>
      postgresSink<KeyCount>({ connectionString: url, table, columns: ["key", "count", "value"], row: (r) => [r.key, r.count, r.value], batchSize: 3, mode: "upsert", key: ["key"] });
    const finals = async (table: string) => new Map((await db.query<{ key: number; count: number }>(`SELECT key, count FROM ${table}`)).rows.map((r) => [r.key, r.count]));

    it("across a failure and a restart from a checkpoint, the table holds each key's final count; a key updated many times in one checkpoint ends with its last", async () => {
      await db.query("CREATE TABLE latest (key integer PRIMARY KEY, count integer NOT NULL, value integer NOT NULL)");
      const shared = { failed: 0, completed: 0 };
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      env.enableCheckpointing(30);
      env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
      env
        .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 2, end: () => shared.failed > 0 }), "Numbers")
        .map(new FailOnceAfterCheckpoints(shared))
        .keyBy((v) => v % KEYS)
        .process(new RunningCount())
        .sinkTo(upsert("latest"));
      await env.execute("postgres-upsert-exactly-once");
      expect(shared.failed).toBe(1);
      expect(await finals("latest")).toEqual(totalsPerKey(range(EVENTS), KEYS));
      // Fewer commits than records: each key was updated many times per checkpoint, in one statement.
      const commits = Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM weir_sink_commits WHERE sink_id = 'latest'")).rows[0].n);
      expect(commits).toBeGreaterThanOrEqual(2);
      expect(commits).toBeLessThan(EVENTS / KEYS);
    });

    it("a commit that fails twice holds back the later ones: each subtask's epochs are committed in order, and the table ends with each key's final count", async () => {
      await db.query("CREATE TABLE flaky (key integer PRIMARY KEY, count integer NOT NULL, value integer NOT NULL)");
      // The first two commits that carry key 0 at a count of 300 or more fail (a sequence is not rolled back with them).
      await db.query("CREATE SEQUENCE flaky_failures");
      await db.query(`CREATE FUNCTION fail_twice() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.key = 0 AND NEW.count >= 300 THEN IF nextval('flaky_failures') <= 2 THEN RAISE EXCEPTION 'injected commit failure'; END IF; END IF;
        RETURN NEW; END $$`);
      await db.query("CREATE TRIGGER fail_twice BEFORE INSERT ON flaky FOR EACH ROW EXECUTE FUNCTION fail_twice()");
      const shared = { completed: 0 };
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      env.enableCheckpointing(30);
      env
        .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 4, end: () => true }), "Numbers")
        .map(new CountCompleted(shared))
        .keyBy((v) => v % KEYS)
        .process(new RunningCount())
        .sinkTo(upsert("flaky"));
      await env.execute("postgres-upsert-in-order");
      expect(Number((await db.query<{ n: string }>("SELECT last_value AS n FROM flaky_failures")).rows[0].n)).toBeGreaterThan(2);
      expect(await finals("flaky")).toEqual(totalsPerKey(range(EVENTS), KEYS));
      const commits = (await db.query<{ subtask: number; epoch: string }>("SELECT subtask, epoch FROM weir_sink_commits WHERE sink_id = 'flaky' ORDER BY committed_at")).rows;
      for (const subtask of [0, 1]) {
        const order = commits.filter((c) => c.subtask === subtask).map((c) => epochOrder(c.epoch));
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    });

    it("without checkpoints, each key's row ends with its final count", async () => {
      await db.query("CREATE TABLE latest_plain (key integer, count integer, value integer, UNIQUE (key))");
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      env
        .fromSequence(0, 999)
        .keyBy((v) => v % KEYS)
        .process(new RunningCount())
        .sinkTo(upsert("latest_plain"));
      await env.execute("postgres-upsert-plain");
      expect(await finals("latest_plain")).toEqual(totalsPerKey(range(1000), KEYS));
    });

    it("a table without a primary key or unique constraint on the key's columns fails the job at once, saying what to add", async () => {
      await db.query("CREATE TABLE unkeyed (key integer, count integer, value integer, UNIQUE (key, count))");
      const env = new StreamExecutionEnvironment({ parallelism: 1 });
      env.enableCheckpointing(50);
      env.fromSequence(0, 9).keyBy((v) => v % KEYS).process(new RunningCount()).sinkTo(upsert("unkeyed"));
      const error = await env.execute("postgres-upsert-unkeyed").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobExecutionError);
      expect((error as Error).message).toContain(
        "UnrecoverableError: postgres sink unkeyed: upsert key (key) needs a primary key or unique constraint on exactly those columns of table unkeyed (it has unique keys on (key, count)); add one (ALTER TABLE unkeyed ADD PRIMARY KEY (key), or ADD UNIQUE (key)) or set key to the columns of an existing one (not restarted: no restart can cure this failure)",
      );
      expect(await finals("unkeyed")).toEqual(new Map());
    });

    it("refuses a key missing from the options or from columns when the job is built", () => {
      const base = { connectionString: url, table: "t", columns: ["key", "count"], row: () => [] };
      expect(() => postgresSink({ ...base, mode: "upsert" })).toThrow(`postgresSink: mode "upsert" needs key: the columns of the table's primary key or a unique constraint`);
      expect(() => postgresSink({ ...base, mode: "upsert", key: ["id"] })).toThrow("postgresSink: key column(s) id must be among columns");
      expect(() => postgresSink({ ...base, key: ["key"] })).toThrow('postgresSink: key is only used with mode: "upsert"');
    });
  });
});

/** Counts completed checkpoints into `shared` (for a held source to wait on); every subtask's copy reaches the same object. */
class CountCompleted {
  private readonly ref: () => { completed: number };
  constructor(shared: { completed: number }) {
    this.ref = () => shared;
  }
  map(value: number): number {
    return value;
  }
  notifyCheckpointComplete(): void {
    this.ref().completed += 1;
  }
}

/** Where an epoch falls among a subtask's: `checkpoint-<n>` at n. */
function epochOrder(epoch: string): number {
  return Number(/\/checkpoint-(\d+)$/.exec(epoch)![1]);
}

async function adminQuery(sql: string, params: unknown[]): Promise<unknown> {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  try {
    return (await admin.query(sql, params)).rows;
  } finally {
    await admin.end();
  }
}
