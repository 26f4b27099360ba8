// The JetStream sinks against a real nats-server with JetStream: a JetStream source → keyed
// running count → a JetStream stream sink and a KV sink, with checkpoints and a failure after two
// completed ones. The output stream holds every running count exactly once (lost = 0,
// duplicated = 0, against totals from the input alone) and the bucket each key's final count, with
// aligned and with unaligned checkpoints. A restored epoch published again is dropped by the
// server (same message ids); the bucket never holds a value computed after the last completed
// checkpoint, and each interval puts only a key's last value. Bad input — a
// missing stream or bucket, a duplicate window too short, a refused publish, a bad key — fails
// the job with an error naming the sink, its stream or bucket, and the checkpoint.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { JobExecutionError, StreamExecutionEnvironment, jetStreamKvSink, jetStreamSink, jetStreamSource } from "../../src/index.ts";
import { operatorTestContext, startNatsServer, type NatsServerHandle } from "../../src/testing/index.ts";
import { HeapOperatorStateStore } from "../../src/state/operator-state.ts";
import type { OperatorContext } from "../../src/operators/operator.ts";
import { FailOnceAfterCheckpoints, heldUntilCheckpoints } from "../fixtures/fail-once.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";

const KEYS = 7;
const EVENTS = 20_000;
const SUBJECTS = ["numbers.0", "numbers.1", "numbers.2", "numbers.3"];
const decoder = new TextDecoder();

/** Every message of `stream`, parsed as JSON, in stream order. */
async function readStream<T>(nc: NatsConnection, jsm: JetStreamManager, stream: string): Promise<T[]> {
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: T[] = [];
  if (total === 0) return out;
  const messages = await (await jetstream(nc).consumers.get(stream)).consume();
  for await (const message of messages) {
    out.push(message.json<T>());
    if (message.info.pending === 0) break;
  }
  messages.stop();
  return out;
}

describe("the JetStream sinks", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "NUMBERS", subjects: ["numbers.*"] });
    const js = jetstream(nc);
    for (let from = 0; from < EVENTS; from += 1000) {
      await Promise.all(range(1000).map((i) => js.publish(SUBJECTS[(from + i) % SUBJECTS.length], JSON.stringify(from + i))));
    }
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it.each([
    { checkpoints: "aligned", unaligned: false },
    { checkpoints: "unaligned", unaligned: true },
  ])("JetStream → keyed count → a stream and a KV bucket, $checkpoints checkpoints: every running count published exactly once and each key's final count in the bucket, across a failure", async ({ checkpoints, unaligned }) => {
    const stream = `COUNTS_${checkpoints.toUpperCase()}`;
    const bucketName = `final-counts-${checkpoints}`;
    await jsm.streams.add({ name: stream, subjects: [`${checkpoints}.counts.*`] });
    await new Kvm(nc).create(bucketName);
    const shared = { failed: 0, completed: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(20).getCheckpointConfig().enableUnalignedCheckpoints(unaligned);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const counts = env
      // Each reader holds after 2,000 records until two checkpoints have completed: the failure comes mid-read.
      .fromSource(heldUntilCheckpoints(jetStreamSource<number>({ servers: server.url, stream: "NUMBERS", subjects: SUBJECTS, bounded: true }), shared, 2000), "Numbers")
      .rebalance()
      .map(new FailOnceAfterCheckpoints(shared))
      .keyBy((n) => n % KEYS)
      .process(new RunningCount());
    counts.sinkTo(jetStreamSink<KeyCount>({ servers: server.url, stream, subject: (c) => `${checkpoints}.counts.${c.key}` }));
    counts.sinkTo(jetStreamKvSink<KeyCount>({ servers: server.url, bucket: bucketName, key: (c) => `key-${c.key}`, value: (c) => String(c.count) }));
    await env.execute(`jetstream-sinks-exactly-once-${checkpoints}`);
    expect(shared.failed).toBe(1);

    const published = await readStream<KeyCount>(nc, jsm, stream);
    const totals = totalsPerKey(range(EVENTS), KEYS);
    expect(tally(published, totals)).toEqual({ lost: 0, duplicated: 0 });
    expect(published).toHaveLength(EVENTS);

    const bucket = await new Kvm(nc).open(bucketName);
    const stored = new Map<number, number>();
    for await (const key of await bucket.keys()) stored.set(Number(key.slice("key-".length)), Number(decoder.decode((await bucket.get(key))!.value)));
    expect(stored).toEqual(totals);
  });

  it("publishes a restored epoch again under the same message ids, and the server drops every one", async () => {
    await jsm.streams.add({ name: "REPLAYED", subjects: ["replayed"] });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const sink = jetStreamSink<number>({ servers: server.url, stream: "REPLAYED", subject: "replayed" });
    const contextFor = (operatorState: HeapOperatorStateStore): OperatorContext => ({ ...operatorTestContext(sink.createOperator(), { log }).ctx, checkpointing: true, checkpointIntervalMs: 100, operatorState });

    const first = sink.createOperator();
    const firstState = new HeapOperatorStateStore();
    await first.open(contextFor(firstState));
    for (const n of range(300)) first.process(n, 0);
    first.snapshotState!({ checkpointId: 1, checkpointTimestamp: 0 });
    const checkpoint = structuredClone(firstState.snapshot()); // the runtime encodes it: a copy
    first.notifyCheckpointComplete!(1);
    await first.finish();
    await first.close();
    expect(await readStream<number>(nc, jsm, "REPLAYED")).toEqual(range(300));

    // A restore of checkpoint 1: its epoch is published again before anything else.
    const second = sink.createOperator();
    await second.open(contextFor(new HeapOperatorStateStore(checkpoint)));
    await second.finish();
    await second.close();
    expect(await readStream<number>(nc, jsm, "REPLAYED")).toEqual(range(300));
    const replay = lines.map((line) => JSON.parse(line) as { msg: string; duplicates?: number; published?: number }).find((entry) => entry.msg.includes("dropped records it already had"));
    expect(replay).toMatchObject({ duplicates: 300, published: 300 });
  });

  it("a replay that cuts the records into other epochs gives them the same ids: published at the final checkpoint, then replayed from the checkpoint before", async () => {
    await jsm.streams.add({ name: "RECUT", subjects: ["recut"] });
    const sink = jetStreamSink<number>({ servers: server.url, stream: "RECUT", subject: "recut" });
    const contextFor = (operatorState: HeapOperatorStateStore): OperatorContext => ({ ...operatorTestContext(sink.createOperator()).ctx, checkpointing: true, checkpointIntervalMs: 100, operatorState });

    // The first attempt: checkpoint 1 after 100 records, then 50 more, published when the final checkpoint (2, after the end of input) completes.
    const first = sink.createOperator();
    const firstState = new HeapOperatorStateStore();
    await first.open(contextFor(firstState));
    for (const n of range(100)) first.process(n, 0);
    first.snapshotState!({ checkpointId: 1, checkpointTimestamp: 0 });
    const checkpoint = structuredClone(firstState.snapshot()); // the runtime encodes it: a copy
    first.notifyCheckpointComplete!(1);
    for (const n of range(50)) first.process(100 + n, 0);
    await first.finish();
    first.snapshotState!({ checkpointId: 2, checkpointTimestamp: 0 });
    first.notifyCheckpointComplete!(2);
    await first.finalCheckpointComplete!();
    await first.close();
    expect(await readStream<number>(nc, jsm, "RECUT")).toEqual(range(150));

    // The job is restored from checkpoint 1 (a retained older one): the replay of the last 50 is cut at a checkpoint 2, and ends with a final checkpoint 3.
    const second = sink.createOperator();
    await second.open(contextFor(new HeapOperatorStateStore(checkpoint)));
    for (const n of range(30)) second.process(100 + n, 0);
    second.snapshotState!({ checkpointId: 2, checkpointTimestamp: 0 });
    second.notifyCheckpointComplete!(2);
    for (const n of range(20)) second.process(130 + n, 0);
    await second.finish();
    second.snapshotState!({ checkpointId: 3, checkpointTimestamp: 0 });
    second.notifyCheckpointComplete!(3);
    await second.finalCheckpointComplete!();
    await second.close();
    expect(await readStream<number>(nc, jsm, "RECUT")).toEqual(range(150));
  });

  it("the KV bucket holds only values of completed checkpoints: a restore puts its epoch again, and each interval puts a key's last value only", async () => {
    await new Kvm(nc).create("restored", { history: 10 });
    const sink = jetStreamKvSink<{ key: string; count: number }>({ servers: server.url, bucket: "restored", key: (r) => r.key, value: (r) => String(r.count) });
    const contextFor = (operatorState: HeapOperatorStateStore): OperatorContext => ({ ...operatorTestContext(sink.createOperator()).ctx, checkpointing: true, checkpointIntervalMs: 100, operatorState });
    const bucket = await new Kvm(nc).open("restored");
    const history = async (key: string) => {
      const values: string[] = [];
      for await (const entry of await bucket.history({ key })) values.push(decoder.decode(entry.value));
      return values;
    };

    // Checkpoint 1 completes with a=1, b=1; checkpoint 2 stages a=2 and never completes (a failure).
    const first = sink.createOperator();
    const firstState = new HeapOperatorStateStore();
    await first.open(contextFor(firstState));
    first.process({ key: "a", count: 1 }, 0);
    first.process({ key: "b", count: 1 }, 0);
    first.snapshotState!({ checkpointId: 1, checkpointTimestamp: 0 });
    const checkpoint = structuredClone(firstState.snapshot()); // the runtime encodes it: a copy
    first.notifyCheckpointComplete!(1);
    first.process({ key: "a", count: 2 }, 0);
    first.snapshotState!({ checkpointId: 2, checkpointTimestamp: 0 });
    await first.close();
    expect([await history("a"), await history("b")]).toEqual([["1"], ["1"]]);

    // The restore of checkpoint 1 puts its values again; the replay then counts a up to 3 and ends: its final checkpoint (3) puts a's last value.
    const second = sink.createOperator();
    await second.open(contextFor(new HeapOperatorStateStore(checkpoint)));
    expect([await history("a"), await history("b")]).toEqual([["1", "1"], ["1", "1"]]);
    second.process({ key: "a", count: 2 }, 0);
    second.process({ key: "a", count: 3 }, 0);
    await second.finish();
    expect(await history("a")).toEqual(["1", "1"]);
    second.snapshotState!({ checkpointId: 3, checkpointTimestamp: 0 });
    second.notifyCheckpointComplete!(3);
    await second.finalCheckpointComplete!();
    await second.close();
    expect([await history("a"), await history("b")]).toEqual([["1", "1", "3"], ["1", "1"]]);
  });

  it("without checkpoints, publishes records and puts values as they come", async () => {
    await jsm.streams.add({ name: "PLAIN", subjects: ["plain.*"] });
    await new Kvm(nc).create("plain-counts");
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const counts = env
      .fromSequence(0, 999)
      .keyBy((v) => v % KEYS)
      .process(new RunningCount());
    counts.sinkTo(jetStreamSink<KeyCount>({ servers: server.url, stream: "PLAIN", subject: (c) => `plain.${c.key}` }));
    counts.sinkTo(jetStreamKvSink<KeyCount>({ servers: server.url, bucket: "plain-counts", key: (c) => String(c.key), value: (c) => String(c.count) }));
    await env.execute("jetstream-sinks-plain");
    const published = await readStream<KeyCount>(nc, jsm, "PLAIN");
    expect(tally(published, totalsPerKey(range(1000), KEYS))).toEqual({ lost: 0, duplicated: 0 });
    const bucket = await new Kvm(nc).open("plain-counts");
    for (const [key, total] of totalsPerKey(range(1000), KEYS)) expect(decoder.decode((await bucket.get(String(key)))!.value)).toBe(String(total));
  });

  /**
   * Runs 0..99 through a checkpointed job into `sink`; resolves the job's error. `restarts`: keep
   * the default strategy (restart without end), for failures no restart can cure.
   */
  async function failureOf(sink: Parameters<ReturnType<StreamExecutionEnvironment["fromSequence"]>["sinkTo"]>[0], intervalMs = 50, restarts = false): Promise<Error> {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.enableCheckpointing(intervalMs);
    if (!restarts) env.setRestartStrategy({ kind: "none" });
    env.fromSequence(0, 99).sinkTo(sink);
    const error = await env.execute("jetstream-sink-bad-input").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    return error as Error;
  }

  it("fails the job with the sink, its stream or bucket, and the checkpoint named, and refuses bad options", async () => {
    expect(() => jetStreamSink({ servers: server.url, stream: "", subject: "" })).toThrow("jetStreamSink: stream must name a JetStream stream; subject must be a subject or a function from a record to its subject");
    expect(() => jetStreamKvSink({ servers: server.url, bucket: "a.b", key: undefined as unknown as () => string })).toThrow("jetStreamKvSink: bucket must name a KV bucket (letters, digits, '-' and '_'); key must be a function from a record to its key");

    // A missing stream or bucket, a window too short: no restart can cure them, so the job fails at once.
    const missing = await failureOf(jetStreamSink<number>({ servers: server.url, stream: "MISSING", subject: "missing" }), 50, true);
    expect(missing.message).toMatch(/jetStreamSink MISSING \(stream "MISSING"\): cannot publish on nats:\/\/127\.0\.0\.1:\d+: stream not found \(not restarted: no restart can cure this failure\)$/);

    await jsm.streams.add({ name: "FORGETFUL", subjects: ["forgetful"], duplicate_window: 1_000_000_000 });
    const short = await failureOf(jetStreamSink<number>({ servers: server.url, stream: "FORGETFUL", subject: "forgetful" }), 10_000, true);
    expect(short.message).toContain(
      `jetStreamSink FORGETFUL (stream "FORGETFUL"): the stream's duplicate window (1 s) is shorter than 40 s, the least this sink accepts with checkpoints every 10 s (the greater of 30 s and 4 intervals): records republished after a failure could be stored twice; raise the stream's duplicate_window`,
    );

    // A subject outside the stream: the server refuses the publish at the first commit.
    await jsm.streams.add({ name: "NARROW", subjects: ["narrow.ok"] });
    const refused = await failureOf(jetStreamSink<number>({ servers: server.url, stream: "NARROW", subject: "narrow.elsewhere" }));
    expect(refused.message).toMatch(
      /jetStreamSink NARROW \(stream "NARROW"\): could not write checkpoint \d+ \(subtask 0\): publishing to narrow\.elsewhere was refused: no stream stores that subject \(the sink's stream stores narrow\.ok\)/,
    );
    // A subject of another stream: refused too, because the sink expects its own stream.
    await jsm.streams.add({ name: "OTHER", subjects: ["other"] });
    const elsewhere = await failureOf(jetStreamSink<number>({ servers: server.url, stream: "NARROW", subject: "other" }));
    expect(elsewhere.message).toMatch(/jetStreamSink NARROW \(stream "NARROW"\): could not write .*: publishing to other was refused: expected stream does not match/);

    const noBucket = await failureOf(jetStreamKvSink<number>({ servers: server.url, bucket: "missing-bucket", key: String }), 50, true);
    expect(noBucket.message).toMatch(/jetStreamKvSink missing-bucket \(bucket "missing-bucket"\): cannot use the bucket on nats:\/\/127\.0\.0\.1:\d+: bucket not found/);

    await new Kvm(nc).create("strict");
    const badKey = await failureOf(jetStreamKvSink<number>({ servers: server.url, bucket: "strict", key: (n) => `n ${n}` }));
    expect(badKey.message).toContain(`jetStreamKvSink strict (bucket "strict"): "n 0" is not a valid key (use letters, digits, '-', '_', '/', '=', and '.' between tokens)`);
  });
});
