// The core NATS source against a real nats-server (no JetStream): readers share the subjects
// through their job's queue group, so every message published once they are subscribed (the
// server's own subscription list says when) arrives exactly once across them, and a second job
// gets its own copy of every message. Each schema decodes; an undecodable message fails the job
// naming the source, the subject and the position, or becomes a dead letter; a full buffer drops
// messages, counts each in the exported metric and says so once in the log.

import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pack } from "msgpackr";
import { pino } from "pino";
import { DEAD_LETTERS, DEAD_LETTERS_METRIC, JobExecutionError, NATS_SOURCE_DROPPED_METRIC, StreamExecutionEnvironment, natsSource, type DeadLetter, type SourceOutput } from "../../src/index.ts";
import { EmbeddedExecutor } from "../../src/cluster/mini-cluster.ts";
import { queueGroupOf } from "../../src/connectors/nats-source.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { startNatsServer, systemClock, type NatsServerHandle } from "../../src/testing/index.ts";
import { range } from "../fixtures/running-counts.ts";
import { waitFor } from "../fixtures/wait-for.ts";

interface Connz {
  connections: { name?: string; out_msgs: number; subscriptions_list_detail?: { subject: string; qgroup?: string }[] }[];
}

describe("the core NATS source", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;

  const connz = async (): Promise<Connz> => (await (await fetch(`${server.monitorUrl}/connz?subs=detail`)).json()) as Connz;
  /** The server's connections subscribed to `subject` in queue group `queue`, once there are `count` of them. */
  const subscribed = (subject: string, queue: string, count: number) =>
    waitFor(async () => {
      const readers = (await connz()).connections.filter((c) => c.subscriptions_list_detail?.some((s) => s.subject === subject && s.qgroup === queue));
      return readers.length === count ? readers : undefined;
    }, `${count} readers subscribed to ${subject} in ${queue}`);
  /** What the server delivered to the readers of `queue` (messages queued for them, counted by the server). */
  const delivered = async (queue: string) =>
    (await connz()).connections.filter((c) => c.subscriptions_list_detail?.some((s) => s.qgroup === queue)).map((c) => c.out_msgs);

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    nc = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it("delivers every message published while two readers are subscribed exactly once across them", async () => {
    const count = 20_000;
    const metrics = new MetricRegistry();
    const env = new StreamExecutionEnvironment({ parallelism: 2, executor: new EmbeddedExecutor({ metrics }) });
    // A buffer as large as the input: nothing is dropped however slowly the job starts polling.
    const out = env.fromSource(natsSource<number>({ servers: server.url, subjects: "numbers.*", bufferSize: count }), "Numbers").collect();
    const client = await env.executeAsync("nats-exactly-once-while-subscribed");
    const queue = queueGroupOf(client.jobId, "Numbers");
    await subscribed("numbers.*", queue, 2);
    for (let i = 0; i < count; i++) nc.publish(`numbers.${i % 4}`, JSON.stringify(i));
    // Once the server answers the flush it has handed every message to a reader: its counts are final.
    await nc.flush();
    const perReader = await delivered(queue);
    await waitFor(() => (out.values.length >= count ? true : undefined), `${count} records`);
    await client.cancel();
    await client.result.catch(() => undefined);
    expect(perReader.reduce((a, b) => a + b, 0)).toBe(count);
    // The queue group shares the subject: each reader got a part, neither all of it.
    expect(perReader.every((n) => n > 0 && n < count)).toBe(true);
    expect([...out.values].sort((a, b) => a - b)).toEqual(range(count));
    expect(metrics.sum(NATS_SOURCE_DROPPED_METRIC, { source: "Numbers" })).toBe(0);
  });

  it("gives two jobs reading the same subject each the whole stream", async () => {
    const count = 2_000;
    const jobs = await Promise.all(
      [2, 1].map(async (parallelism, i) => {
        const env = new StreamExecutionEnvironment({ parallelism });
        const out = env.fromSource(natsSource<number>({ servers: server.url, subjects: "shared.numbers", bufferSize: count }), "Shared").collect();
        const client = await env.executeAsync(`nats-shared-${i}`);
        await subscribed("shared.numbers", queueGroupOf(client.jobId, "Shared"), parallelism);
        return { out, client };
      }),
    );
    for (let i = 0; i < count; i++) nc.publish("shared.numbers", JSON.stringify(i));
    await nc.flush();
    for (const { out, client } of jobs) {
      await waitFor(() => (out.values.length >= count ? true : undefined), `${count} records in job ${client.jobId}`);
      await client.cancel();
      await client.result.catch(() => undefined);
      expect([...out.values].sort((a, b) => a - b)).toEqual(range(count));
    }
  });

  it("decodes JSON, msgpack, UTF-8 text and with a function of the caller's", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const json = env.fromSource(natsSource<{ n: number }>({ servers: server.url, subjects: "schema.json" }), "Json").collect();
    const msgpack = env.fromSource(natsSource<{ n: number; tags: string[] }>({ servers: server.url, subjects: "schema.msgpack", schema: "msgpack" }), "Msgpack").collect();
    const text = env.fromSource(natsSource<string>({ servers: server.url, subjects: "schema.text", schema: "text" }), "Text").collect();
    const custom = env.fromSource(natsSource<string>({ servers: server.url, subjects: "schema.custom.*", schema: (data, subject) => `${subject}=${data.length}` }), "Custom").collect();
    const client = await env.executeAsync("nats-schemas");
    for (const [subject, name] of [["schema.json", "Json"], ["schema.msgpack", "Msgpack"], ["schema.text", "Text"], ["schema.custom.*", "Custom"]]) {
      await subscribed(subject, queueGroupOf(client.jobId, name), 1);
    }
    nc.publish("schema.json", JSON.stringify({ n: 1 }));
    nc.publish("schema.msgpack", pack({ n: 2, tags: ["a", "b"] }));
    nc.publish("schema.text", "héllo, wörld");
    nc.publish("schema.custom.x", new Uint8Array(3));
    await nc.flush();
    await waitFor(() => (json.values.length + msgpack.values.length + text.values.length + custom.values.length === 4 ? true : undefined), "four records");
    await client.cancel();
    await client.result.catch(() => undefined);
    expect([json.values, msgpack.values, text.values, custom.values]).toEqual([[{ n: 1 }], [{ n: 2, tags: ["a", "b"] }], ["héllo, wörld"], ["schema.custom.x=3"]]);
  });

  it("sends an undecodable message to the dead letters and counts it when configured", async () => {
    const metrics = new MetricRegistry();
    const env = new StreamExecutionEnvironment({ parallelism: 1, executor: new EmbeddedExecutor({ metrics }) });
    const numbers = env.fromSource(natsSource<number>({ servers: server.url, subjects: "poison.*", schema: "msgpack", onBadRecord: "dead-letter" }), "Poison");
    const good = numbers.collect();
    const bad = numbers.getSideOutput(DEAD_LETTERS).collect();
    const client = await env.executeAsync("nats-dead-letters");
    await subscribed("poison.*", queueGroupOf(client.jobId, "Poison"), 1);
    const truncated = Uint8Array.from([0x92, 0x01]);
    for (const data of [pack(1), truncated, pack(3)]) nc.publish("poison.a", data);
    await nc.flush();
    await waitFor(() => (good.values.length === 2 && bad.values.length === 1 ? true : undefined), "two records and a dead letter");
    await client.cancel();
    await client.result.catch(() => undefined);
    expect(good.values).toEqual([1, 3]);
    expect(bad.values.every((letter) => letter.raw instanceof Uint8Array)).toBe(true);
    const asBytes = bad.values.map((letter) => ({ ...letter, raw: Uint8Array.from(letter.raw as Uint8Array) }));
    expect(asBytes).toEqual<DeadLetter[]>([{ source: "natsSource poison.*", split: "poison.*", subject: "poison.a", position: 2, raw: truncated, error: "Unexpected end of MessagePack data" }]);
    expect(metrics.sum(DEAD_LETTERS_METRIC, { source: "Poison" })).toBe(1);
  });

  it("fails the job on an undecodable message, naming the source, the subject and the position", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSource(natsSource<number>({ servers: server.url, subjects: "fatal.>" }), "Fatal").addSink(() => undefined);
    const client = await env.executeAsync("nats-undecodable");
    await subscribed("fatal.>", queueGroupOf(client.jobId, "Fatal"), 1);
    for (const text of ["1", "2", "not json"]) nc.publish("fatal.x.y", text);
    await nc.flush();
    const error = await client.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain(`natsSource fatal.>: cannot decode the record at message 3 of fatal.> (subject fatal.x.y): ${parseError("not json")}`);
  });

  it("drops what arrives while its buffer is full, counts every drop and logs the first", async () => {
    const metrics = new MetricRegistry();
    const lines: string[] = [];
    const log = pino({ level: "info" }, new Writable({
        write: (chunk, _, done) => {
          lines.push(String(chunk));
          done();
        },
      }));
    const source = natsSource<number>({ servers: server.url, subjects: "full", bufferSize: 10, queue: "full-readers" });
    const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock, jobId: "j", sourceName: "Full", metrics, log });
    await reader.open?.();
    // Not polled: the buffer fills with the first ten, and the other forty are dropped.
    for (let i = 0; i < 50; i++) nc.publish("full", JSON.stringify(i));
    await nc.flush();
    await waitFor(() => (metrics.sum(NATS_SOURCE_DROPPED_METRIC, { job: "j", source: "Full" }) === 40 ? true : undefined), "40 drops counted");
    const values: number[] = [];
    const output: SourceOutput<number> = { collect: (v) => values.push(v), collectSide: () => undefined, forSplit: () => output, releaseSplit: () => undefined };
    while (reader.pollNext(output) === "more");
    await reader.close?.();
    expect(values).toEqual(range(10));
    expect(metrics.sum(NATS_SOURCE_DROPPED_METRIC, { job: "j", source: "Full" })).toBe(40);
    expect(lines.filter((line) => line.includes("the buffer is full"))).toHaveLength(1);
    expect(reader.snapshotState?.(1)).toEqual([]);
  });

  it("refuses bad options with what to change", () => {
    expect(() => natsSource({ servers: server.url, subjects: [] })).toThrow("natsSource: subjects must be a subject or a list of subjects");
    expect(() => natsSource({ servers: server.url, subjects: ["a", "a"] })).toThrow('natsSource: subjects lists "a" twice');
    expect(() => natsSource({ servers: server.url, subjects: "a", bufferSize: 0 })).toThrow("natsSource a: bufferSize must be an integer >= 1, got 0");
    expect(() => natsSource({ servers: server.url, subjects: "a", schema: "yaml" as "json" })).toThrow('natsSource a: schema must be "json", "msgpack", "text" or a function (data, subject) => record, got "yaml"');
  });
});

/** The message JSON.parse throws for `text` on this Node version. */
function parseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(text)} parses`);
}
