// The final checkpoint: with checkpointing, a subtask that reached the end of its input waits for a
// checkpoint of its state after the end, and the two-phase sinks commit their last records on it.
// A failure elsewhere in the job after a sink subtask reached its end (but before the job finished)
// restores and replays without writing any record twice, to part files and to PostgreSQL (every
// running count once: lost = 0, duplicated = 0, against totals computed from the input alone). The
// final checkpoint comes at once when every source has ended, even with a long interval; a job
// canceled while its sink waits commits nothing of what no checkpoint holds; a stop with a savepoint,
// with or without drain, still ends the job with every record committed once.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileSink, postgresSink, StreamExecutionEnvironment, type SinkConnector } from "../../src/index.ts";
import { endCounting } from "../fixtures/end-counting-sink.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";
import { heldSource } from "./held-source.ts";

const KEYS = 7;
const EVENTS = 4_000;
const PARALLELISM = 2;

interface Shared {
  /** Sink subtasks that reached the end of their input (over every attempt). */
  ended: number;
  completed: number;
  /** Checkpoints completed after the failure (over all copies). */
  completedAfterFailure: number;
  failed: number;
  /** `ended` when the failure was injected. */
  endedAtFailure: number;
}

/** Passes numbers on, counts completed checkpoints, and fails once as soon as every sink subtask has reached the end of its input. */
class FailAfterSinksEnded {
  private readonly sharedRef: () => Shared;
  constructor(
    shared: Shared,
    private readonly look: () => void = () => undefined,
  ) {
    this.sharedRef = () => shared;
  }
  map(value: number): number {
    const shared = this.sharedRef();
    if (shared.ended >= PARALLELISM && shared.failed === 0) {
      shared.failed += 1;
      shared.endedAtFailure = shared.ended;
      this.look();
      throw new Error("injected failure after the sinks reached the end of their input");
    }
    return value;
  }
  notifyCheckpointComplete(): void {
    const shared = this.sharedRef();
    if (shared.failed === 0) shared.completed += 1;
    else shared.completedAfterFailure += 1;
  }
}

/**
 * Running counts of a bounded source into `sink`; a second source, joined to the first by a
 * union (one failover region), sends its numbers only once every sink subtask has ended and keeps
 * going until the failure, which its map injects then. The bounded source holds its second half
 * until checkpoints have completed, in the first attempt and again after the failure: the replay
 * is cut by a checkpoint of its own, as it may be on any machine.
 */
function failingAfterEnd(sink: SinkConnector<KeyCount>, shared: Shared, options: { look?: () => void; holdUntilFailure?: boolean } = {}): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment({ parallelism: PARALLELISM });
  env.enableCheckpointing(40);
  env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
  const numbers = env.fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 2 && (shared.failed === 0 || shared.completedAfterFailure >= 1), end: () => true }), "Numbers");
  numbers
    .keyBy((v) => v % KEYS)
    .process(new RunningCount())
    .sinkTo(endCounting(sink, () => (shared.ended += 1), options.holdUntilFailure ? () => shared.failed === 0 : undefined));
  const others = env.fromSource(heldSource({ count: 200, holdFrom: 0, release: () => shared.ended >= PARALLELISM || shared.failed > 0, end: () => shared.failed > 0 }), "Others");
  numbers
    .union(others)
    .map(new FailAfterSinksEnded(shared, options.look))
    .addSink(() => undefined);
  return env;
}

const fresh = (): Shared => ({ ended: 0, completed: 0, completedAfterFailure: 0, failed: 0, endedAtFailure: 0 });

function committed(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir)
      .filter((name) => !name.startsWith("."))
      .sort()
      .map((name) => [name, readFileSync(join(dir, name), "utf8")]),
  );
}

function records(files: Map<string, string>): KeyCount[] {
  return [...files.values()].flatMap((text) => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as KeyCount));
}

const exactlyOnce = (written: KeyCount[]) => ({ ...tally(written, totalsPerKey(range(EVENTS), KEYS)), records: written.length });

describe("the final checkpoint, with the file sink", () => {
  const root = mkdtempSync(join(tmpdir(), "weir-final-checkpoint-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a failure after every sink subtask reached the end of its input, before the job finished, writes no record twice", async () => {
    const dir = join(root, "failure-after-end");
    const shared = fresh();
    let atFailure = new Map<string, string>();
    const env = failingAfterEnd(fileSink<KeyCount>({ path: dir, format: "ndjson", rolling: { maxBytes: 4_096 } }), shared, { look: () => (atFailure = committed(dir)) });
    await env.execute("final-checkpoint-file-sink");

    expect(shared.failed).toBe(1);
    expect(shared.endedAtFailure).toBeGreaterThanOrEqual(PARALLELISM);
    const files = committed(dir);
    expect(exactlyOnce(records(files))).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
    // Committed files are never taken back: what was visible at the failure is still there, byte for byte.
    for (const [name, text] of atFailure) expect(files.get(name)).toBe(text);
    expect(readdirSync(dir).filter((name) => name.startsWith("."))).toEqual([]);
  });

  it("a bounded job ends without waiting for the next interval: the final checkpoint is triggered once every source has ended", async () => {
    const dir = join(root, "long-interval");
    const env = new StreamExecutionEnvironment({ parallelism: PARALLELISM });
    // Far longer than the test may take: only the final checkpoint can commit the parts.
    env.enableCheckpointing(3_600_000);
    env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS, release: () => true, end: () => true }), "Numbers")
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .sinkTo(fileSink<KeyCount>({ path: dir, format: "ndjson" }));
    await env.execute("final-checkpoint-long-interval");
    expect(exactlyOnce(records(committed(dir)))).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
  });

  /** A bounded branch into the file sink, and an unbounded one that keeps the job running; checkpoints every hour. */
  function waitingJob(dir: string, shared: Shared): StreamExecutionEnvironment {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.enableCheckpointing(3_600_000);
    env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS, release: () => true, end: () => true }), "Numbers")
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .sinkTo(endCounting(fileSink<KeyCount>({ path: dir, format: "ndjson" }), () => (shared.ended += 1)));
    env.fromSource(heldSource({ count: 100, holdFrom: 0, release: () => false, end: () => false }), "Others").addSink(() => undefined);
    return env;
  }

  const untilEnded = async (shared: Shared): Promise<void> => {
    while (shared.ended < 1) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it("a job canceled while its sink waits for the final checkpoint ends, and commits nothing no checkpoint holds", async () => {
    const dir = join(root, "canceled");
    const shared = fresh();
    const client = await waitingJob(dir, shared).executeAsync("final-checkpoint-canceled");
    await untilEnded(shared);
    await client.cancel();
    await expect(client.result).rejects.toThrow(/canceled/);
    expect(committed(dir).size).toBe(0);
  });

  for (const drain of [false, true]) {
    it(`a stop with a savepoint ${drain ? "with" : "without"} drain while the sink waits ends the job, with every record committed once`, async () => {
      const dir = join(root, `stopped-${drain}`);
      const shared = fresh();
      const client = await waitingJob(dir, shared).executeAsync(`final-checkpoint-stop-${drain}`);
      await untilEnded(shared);
      // The bounded branch may end before the job master has seen every subtask running: asked again until it has.
      for (;;) {
        const stopped = await client.stopWithSavepoint(join(root, `savepoint-${drain}`), { drain }).then(
          () => true,
          (error: Error) => {
            if (!/is not running/.test(error.message)) throw error;
            return false;
          },
        );
        if (stopped) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await client.result;
      expect(exactlyOnce(records(committed(dir)))).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
    });
  }
});

describe("the final checkpoint, with the PostgreSQL sink", () => {
  const ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
  const database = `weir_final_${randomBytes(4).toString("hex")}`;
  const url = `postgres://postgres@127.0.0.1:5432/${database}`;
  let db: pg.Pool;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    db = new pg.Pool({ connectionString: url });
  });

  afterAll(async () => {
    await db?.end();
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  // Held: the sink subtasks cannot end before the failure (their end of input is done, their final checkpoint not).
  for (const held of [false, true]) {
    it(`a failure after every sink subtask reached the end of its input${held ? " (held there)" : ""}, before the job finished, inserts no row twice`, async () => {
      const table = held ? "held_counts" : "counts";
      await db.query(`CREATE TABLE ${table} (key integer, count integer, value integer)`);
      const shared = fresh();
      const sink = postgresSink<KeyCount>({ connectionString: url, table, columns: ["key", "count", "value"], row: (r) => [r.key, r.count, r.value], batchSize: 100 });
      await failingAfterEnd(sink, shared, { holdUntilFailure: held }).execute(`final-checkpoint-postgres-${held}`);

      expect(shared.failed).toBe(1);
      expect(shared.endedAtFailure).toBeGreaterThanOrEqual(PARALLELISM);
      const written = (await db.query<KeyCount>(`SELECT key, count, value FROM ${table}`)).rows;
      expect(exactlyOnce(written)).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
    });
  }
});
