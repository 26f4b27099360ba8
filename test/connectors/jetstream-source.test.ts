// The JetStream source against a real nats-server with JetStream: a stream of numbers on four
// subjects, read by two subtasks with checkpoints and a failure after two completed ones. Every
// key's running count comes out exactly once (lost = 0, duplicated = 0), because the restore reads
// on from the checkpointed stream sequences. Also: a restart from a savepoint reads only what
// came after it, and a missing stream fails the job with a clear error. A message that cannot be
// decoded fails the job naming the stream, the subject and the sequence, or becomes a dead letter.
// Fresh splits start where startAt says (a sequence, a time, the end of the stream: looked up on
// the server by the split enumerator), and no ordered consumer outlives the job.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { DEAD_LETTERS, DEAD_LETTERS_METRIC, JobExecutionError, StreamExecutionEnvironment, jetStreamSource, type DeadLetter, type Source, type SourceOutput } from "../../src/index.ts";
import { EmbeddedExecutor } from "../../src/cluster/mini-cluster.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { startNatsServer, systemClock, type NatsServerHandle } from "../../src/testing/index.ts";
import { FailOnceAfterCheckpoints, heldUntilCheckpoints } from "../fixtures/fail-once.ts";
import { range, RunningCount, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { waitFor } from "../fixtures/wait-for.ts";

const KEYS = 7;
const EVENTS = 20_000;
const SUBJECTS = ["numbers.0", "numbers.1", "numbers.2", "numbers.3"];

describe("the JetStream source", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "NUMBERS", subjects: ["numbers.*"] });
    await jsm.streams.add({ name: "MIXED", subjects: ["mixed.*"] });
    const js = jetstream(nc);
    for (const text of ["1", "not json", "3", "{"]) await js.publish("mixed.a", text);
    for (let from = 0; from < EVENTS; from += 1000) {
      await Promise.all(range(1000).map((i) => js.publish(SUBJECTS[(from + i) % SUBJECTS.length], JSON.stringify(from + i))));
    }
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it("reads every message exactly once across a failure and a restore from a checkpoint", async () => {
    const shared = { failed: 0, completed: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(20);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const out = env
      // Each reader holds after 2,000 records until two checkpoints have completed: the failure comes mid-read.
      .fromSource(heldUntilCheckpoints(jetStreamSource<number>({ servers: server.url, stream: "NUMBERS", subjects: SUBJECTS, bounded: true }), shared, 2000), "Numbers")
      .rebalance()
      .map(new FailOnceAfterCheckpoints(shared))
      .keyBy((n) => n % KEYS)
      .process(new RunningCount())
      .collect();
    await env.execute("jetstream-exactly-once");
    expect(shared.failed).toBe(1);
    expect(tally(out.values, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(out.values).toHaveLength(EVENTS);
    // Every reader deleted its consumers, the failed execution's too (the server would keep them for a minute).
    await waitFor(async () => ((await jsm.consumers.list("NUMBERS").next()).length === 0 ? true : undefined), "every consumer of NUMBERS deleted", 20_000);
  });

  it("gives the splits back to the enumerator when the readers fail before any checkpoint, and the restarted readers read every message exactly once", async () => {
    const shared = { failed: 0, completed: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    // Checkpointing on (the sink is transactional) but no checkpoint completes before the failure: no reader state holds the splits.
    env.enableCheckpointing(600_000);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const out = env
      .fromSource(jetStreamSource<number>({ servers: server.url, stream: "NUMBERS", subjects: SUBJECTS, bounded: true }), "Numbers")
      .rebalance()
      .map(new FailOnceAfterCheckpoints(shared, 0))
      .keyBy((n) => n % KEYS)
      .process(new RunningCount())
      .collect();
    // A second pipeline, its own region: the failure restarts the JetStream pipeline's region, whose enumerator lives on.
    env.fromElements(1, 2, 3).collect();
    await env.execute("jetstream-splits-back");
    expect([shared.failed, shared.completed]).toEqual([1, 0]);
    expect(tally(out.values, totalsPerKey(range(EVENTS), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(out.values).toHaveLength(EVENTS);
  });

  it("starts fresh splits at a given stream sequence", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env.fromSource(jetStreamSource<number>({ servers: server.url, stream: "NUMBERS", subjects: SUBJECTS, bounded: true, startAt: { sequence: 15_001 } }), "Tail").collect();
    await env.execute("jetstream-from-sequence");
    expect([...out.values].sort((a, b) => a - b)).toEqual(range(5_000).map((i) => 15_000 + i));
  });

  it("starts fresh splits at a time, or at the end of the stream, looked up once by the enumerator", async () => {
    await jsm.streams.add({ name: "TIMED", subjects: ["timed.*"] });
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish(`timed.${i % 2}`, JSON.stringify(i));
    // The server stamps each message as it stores it: the next millisecond is after all of these.
    const stored = Date.now();
    await waitFor(() => (Date.now() > stored + 1 ? true : undefined), "the clock to move on");
    const since = new Date();
    for (let i = 5; i < 10; i++) await js.publish(`timed.${i % 2}`, JSON.stringify(i));

    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = env.fromSource(jetStreamSource<number>({ servers: server.url, stream: "TIMED", subjects: ["timed.0", "timed.1"], bounded: true, startAt: { time: since.toISOString() } }), "Since").collect();
    await env.execute("jetstream-from-time");
    expect([...out.values].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);

    // "latest": the enumerator looks up the end of the stream (sequence 11); a reader given that split reads only what came after.
    const latest = jetStreamSource<number>({ servers: server.url, stream: "TIMED", subjects: ["timed.0", "timed.1"], bounded: true, startAt: "latest" });
    const splits = await firstHandout(latest);
    expect(splits).toEqual([{ subject: "timed.0", nextSeq: 11 }, { subject: "timed.1", nextSeq: 11 }]);
    for (let i = 10; i < 13; i++) await js.publish(`timed.${i % 2}`, JSON.stringify(i));
    expect(await readSplits(latest, splits)).toEqual([10, 11, 12]);
  });

  it("reads the whole stream as one split when no subjects are given", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const out = env.fromSource(jetStreamSource<number>({ servers: server.url, stream: "NUMBERS", bounded: true }), "All").collect();
    await env.execute("jetstream-all");
    expect(out.values).toEqual(range(EVENTS));
  });

  it("fails the job with the stream's name when the stream does not exist, and refuses bad options", async () => {
    expect(() => jetStreamSource({ servers: server.url, stream: "" })).toThrow("jetStreamSource: stream must name a JetStream stream");
    expect(() => jetStreamSource({ servers: server.url, stream: "S", subjects: [] })).toThrow("jetStreamSource: subjects must list at least one subject filter");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSource(jetStreamSource({ servers: server.url, stream: "MISSING", bounded: true }), "Missing").addSink(() => undefined);
    const error = await env.execute("jetstream-missing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toMatch(/jetStreamSource: cannot read stream "MISSING" on nats:\/\/127\.0\.0\.1:\d+: stream not found/);
  });

  it("fails the job on an undecodable message with the stream, the subject and the sequence", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSource(jetStreamSource<number>({ servers: server.url, stream: "MIXED", subjects: ["mixed.a"], bounded: true }), "Mixed").addSink(() => undefined);
    const error = await env.execute("jetstream-undecodable").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain(`jetStreamSource MIXED: cannot decode the record at sequence 2 of mixed.a: ${parseError("not json")}`);
  });

  it("sends undecodable messages to the dead-letter output and counts them when configured", async () => {
    const metrics = new MetricRegistry();
    const env = new StreamExecutionEnvironment({ parallelism: 1, executor: new EmbeddedExecutor({ metrics }) });
    const numbers = env.fromSource(jetStreamSource<number>({ servers: server.url, stream: "MIXED", subjects: ["mixed.a"], bounded: true, onBadRecord: "dead-letter" }), "Mixed");
    const good = numbers.collect();
    const bad = numbers.getSideOutput(DEAD_LETTERS).collect();
    await env.execute("jetstream-dead-letters");
    expect(good.values).toEqual([1, 3]);
    expect(bad.values.every((letter) => letter.raw instanceof Uint8Array)).toBe(true);
    const asText = bad.values.map((letter) => ({ ...letter, raw: new TextDecoder().decode(letter.raw as Uint8Array) }));
    expect(asText).toEqual<DeadLetter[]>([
      { source: "jetStreamSource MIXED", split: "mixed.a", subject: "mixed.a", position: 2, raw: "not json", error: parseError("not json") },
      { source: "jetStreamSource MIXED", split: "mixed.a", subject: "mixed.a", position: 4, raw: "{", error: parseError("{") },
    ]);
    expect(metrics.sum(DEAD_LETTERS_METRIC, { source: "Mixed" })).toBe(2);
  });
});

/** The splits `source`'s enumerator (parallelism 1) hands its one reader, its I/O run for real. */
async function firstHandout(source: Source<number>): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const enumerator = source.createEnumerator!({
      parallelism: 1,
      clock: systemClock,
      registeredReaders: () => [0],
      assignSplits: (_, splits) => resolve(splits),
      signalNoMoreSplits: () => undefined,
      sendEventToReader: () => undefined,
      callAsync: (work, handle) => void work().then(handle, reject),
    });
    enumerator.start();
    enumerator.handleSplitRequest(0);
  });
}

/** Every record of `splits` read by a reader built by hand (it has no enumerator: it reads those and ends). */
async function readSplits(source: Source<number>, splits: unknown[]): Promise<number[]> {
  const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock, restoredSplits: splits });
  const values: number[] = [];
  const output: SourceOutput<number> = { collect: (v) => values.push(v), collectSide: () => undefined, forSplit: () => output, releaseSplit: () => undefined };
  await reader.open?.();
  for (let status = reader.pollNext(output); status !== "end"; status = reader.pollNext(output)) if (status === "nothing") await reader.available?.();
  await reader.close?.();
  return values.sort((a, b) => a - b);
}

/** The message JSON.parse throws for `text` on this Node version. */
function parseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(text)} parses`);
}
