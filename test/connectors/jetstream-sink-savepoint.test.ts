// The JetStream sinks across savepoints that rescale: a checkpointed keyed count stopped with a
// savepoint at parallelism 2, resumed at 3, stopped again, resumed at 1 to the end. Each resumed
// job is a new job that publishes the epochs its savepoint staged again under the ids the old job
// gave them, so the stream holds every running count exactly once (lost = 0, duplicated = 0,
// against totals from the input alone) and the bucket each key's final count.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { StreamExecutionEnvironment, jetStreamKvSink, jetStreamSink } from "../../src/index.ts";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/index.ts";
import type { CollectedStream } from "../../src/api/data-stream.ts";
import type { RestoreSettings } from "../../src/messages/schema.ts";
import { heldSource } from "../checkpoint/held-source.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";

const KEYS = 11;
const EVENTS = 9_000;
const decoder = new TextDecoder();

describe("the JetStream sinks across savepoints that rescale", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const dir = mkdtempSync(join(tmpdir(), "weir-jetstream-savepoints-"));

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "COUNTS", subjects: ["counts.*"] });
    await new Kvm(nc).create("counts");
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The counting job at `parallelism`: its source emits the numbers below `upTo` and then, unless that is the end, stays open. */
  function countingJob(parallelism: number, upTo: number, restoreFrom?: RestoreSettings): { env: StreamExecutionEnvironment; out: CollectedStream<KeyCount> } {
    const env = new StreamExecutionEnvironment({ parallelism, restoreFrom });
    env.enableCheckpointing(50);
    const counts = env
      .fromSource(heldSource({ count: EVENTS, holdFrom: upTo, release: () => false, end: () => upTo >= EVENTS }), "Numbers")
      .uid("numbers")
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .uid("counter");
    counts.sinkTo(jetStreamSink<KeyCount>({ servers: server.url, stream: "COUNTS", subject: (c) => `counts.${c.key}` })).uid("stream-sink");
    counts.sinkTo(jetStreamKvSink<KeyCount>({ servers: server.url, bucket: "counts", key: (c) => `key-${c.key}`, value: (c) => String(c.count) })).uid("kv-sink");
    return { env, out: counts.collect() };
  }

  /** Waits until the job has emitted `n` results (the collect sink is transactional: they are in a completed checkpoint). */
  async function untilCollected(out: CollectedStream<KeyCount>, n: number): Promise<void> {
    while (out.values.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async function published(): Promise<KeyCount[]> {
    const total = (await jsm.streams.info("COUNTS")).state.messages;
    const out: KeyCount[] = [];
    if (total === 0) return out;
    const messages = await (await jetstream(nc).consumers.get("COUNTS")).consume();
    for await (const message of messages) {
      out.push(message.json<KeyCount>());
      if (message.info.pending === 0) break;
    }
    messages.stop();
    return out;
  }

  it("a savepoint at parallelism 2, resumed at 3, then at 1: every running count in the stream once, each key's final count in the bucket", async () => {
    const run1 = countingJob(2, 3_000);
    const client1 = await run1.env.executeAsync("jetstream-rescale-2");
    await untilCollected(run1.out, 3_000);
    const firstSavepoint = await client1.stopWithSavepoint(dir);
    await client1.result;

    const run2 = countingJob(3, 6_000, { location: firstSavepoint, allowNonRestoredState: false });
    const client2 = await run2.env.executeAsync("jetstream-rescale-3");
    await untilCollected(run2.out, 3_000);
    const secondSavepoint = await client2.stopWithSavepoint(dir);
    await client2.result;

    const run3 = countingJob(1, EVENTS, { location: secondSavepoint, allowNonRestoredState: false });
    await run3.env.execute("jetstream-rescale-1");

    const totals = totalsPerKey(range(EVENTS), KEYS);
    const written = await published();
    expect({ ...tally(written, totals), results: written.length }).toEqual({ lost: 0, duplicated: 0, results: EVENTS });
    const bucket = await new Kvm(nc).open("counts");
    const stored = new Map<number, number>();
    for await (const key of await bucket.keys()) stored.set(Number(key.slice("key-".length)), Number(decoder.decode((await bucket.get(key))!.value)));
    expect(stored).toEqual(totals);
  });
});
