// The JetStream source on a NATS cluster of real processes: a job manager (where the split
// enumerator runs), two `weir worker` processes, and `weir run --nats` of a job that counts the
// numbers of a stream with four subjects (one split each) per key into part files. The job runs
// at parallelism 2, each reader held after HOLD records with input still to read, is stopped with
// `weir stop --savepoint`, more numbers are published, and it is resumed from that savepoint at
// parallelism 3 (bounded: it ends once it has caught up). The
// two runs' output together holds every key's running count exactly once, counted against the
// numbers published: lost = 0, duplicated = 0. Every ordered consumer the readers made is gone.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { JETSTREAM_COUNTS } from "../fixtures/jobs/jetstream-counts.ts";
import { range, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";
import { startRun, until } from "../fixtures/weir-run.ts";

const JOB = "test/fixtures/jobs/jetstream-counts.ts";
/** Published before the first run starts; the rest once it has stopped. */
const BEFORE = 10_000;
const EVENTS = 12_000;
/** Records each of the first run's two readers emits before it holds (each has 5,000 to read). */
const HOLD = 2_000;

/** Every NDJSON line of the part files in `dir`. */
function readCounts(dir: string): KeyCount[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) => readFileSync(join(dir, name), "utf8").split("\n"))
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as KeyCount);
}

describe("the JetStream source on a NATS cluster", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-jetstream-nats-"));

  const publish = async (from: number, to: number) => {
    const js = jetstream(nc);
    for (let start = from; start < to; start += 500) {
      await Promise.all(range(Math.min(500, to - start)).map((i) => js.publish(JETSTREAM_COUNTS.subjects[(start + i) % JETSTREAM_COUNTS.subjects.length], JSON.stringify(start + i))));
    }
  };

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "NUMBERS", subjects: ["numbers.*"] });
    processes.push(await startJobManagerProcess(server.url));
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 2, "js-a"), startWorkerProcess(server.url, 2, "js-b")])));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await nc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stopped with a savepoint mid-stream and resumed at another parallelism, every running count comes out exactly once", async () => {
    await publish(0, BEFORE);
    const first = join(dir, "out-1");
    const run = startRun([JOB, "--nats", server.url, "-p", "2", "--", "--nats", server.url, "--output", first, "--hold", String(HOLD)]);
    try {
      const jobId = await run.jobId;
      // Counts reach the part files as checkpoints complete: once all the held readers emitted are there, the job stops mid-stream.
      await until("the first run's counts up to the hold", () => readCounts(first).length >= 2 * HOLD, 60_000);
      const stopped = await runWeir(["stop", jobId, "--savepoint", join(dir, "savepoints"), "--nats", server.url]);
      expect(stopped.code).toBe(0);
      expect(await run.exit).toBe(0);
      await publish(BEFORE, EVENTS);
      const savepoint = stopped.stdout.trim();

      const second = join(dir, "out-2");
      const resumed = await runWeir(["run", JOB, "--nats", server.url, "-p", "3", "--from-savepoint", savepoint, "--", "--nats", server.url, "--output", second, "--bounded"], 90_000);
      expect(resumed.code).toBe(0);

      const before = readCounts(first);
      const after = readCounts(second);
      expect([before.length, after.length]).toEqual([2 * HOLD, EVENTS - 2 * HOLD]);
      const counts = [...before, ...after];
      expect({ ...tally(counts, totalsPerKey(range(EVENTS), JETSTREAM_COUNTS.keys)), lines: counts.length }).toEqual({ lost: 0, duplicated: 0, lines: EVENTS });
      // The readers deleted their ordered consumers as their subtasks ended (the server would keep them for a minute).
      await until("every consumer of NUMBERS deleted", async () => (await jsm.consumers.list("NUMBERS").next()).length === 0, 20_000);
    } finally {
      run.kill();
    }
  });
});
