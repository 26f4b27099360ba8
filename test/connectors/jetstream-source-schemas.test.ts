// The JetStream source's named schemas and split releases, against a real nats-server with
// JetStream, with readers built by hand: msgpack and text decode, the older `deserialize` option
// still works, a message that is not UTF-8 is a bad record under "text", and a bounded split is
// released (its watermark no longer holds the reader's back) right after its last record, or at
// once when it has nothing to read.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { pack } from "msgpackr";
import { jetStreamSource, type JetStreamSourceOptions, type SourceOutput } from "../../src/index.ts";
import { startNatsServer, systemClock, type NatsServerHandle } from "../../src/testing/index.ts";

/** What a reader did, in order: records (with their split) and releases. */
type Event = { split: string; record: unknown } | { released: string } | { deadLetter: unknown };

describe("the JetStream source's schemas and split releases", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({ name: "S", subjects: ["s.*"] });
    const js = jetstream(nc);
    for (const n of [1, 2, 3]) await js.publish("s.packed", pack({ n }));
    await js.publish("s.text", "ünïcode");
    await js.publish("s.text", Uint8Array.from([0xff, 0xfe]));
    await js.publish("s.raw", Uint8Array.from([7, 8, 9]));
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  /** Every event of a bounded reader built by hand over `subjects`, from the start of the stream. */
  async function read(options: Partial<JetStreamSourceOptions<unknown>>, subjects: string[]): Promise<Event[]> {
    const source = jetStreamSource<unknown>({ servers: server.url, stream: "S", bounded: true, onBadRecord: "dead-letter", ...options });
    const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, clock: systemClock, restoredSplits: subjects.map((subject) => ({ subject, nextSeq: 1 })) });
    const events: Event[] = [];
    const outputFor = (split: string): SourceOutput<unknown> => ({
      collect: (record) => events.push({ split, record }),
      collectSide: (_, letter) => events.push({ deadLetter: letter }),
      forSplit: outputFor,
      releaseSplit: (id) => events.push({ released: id }),
    });
    const output = outputFor("");
    await reader.open?.();
    try {
      for (let status = reader.pollNext(output); status !== "end"; status = reader.pollNext(output)) if (status === "nothing") await reader.available?.();
    } finally {
      await reader.close?.();
    }
    return events;
  }

  it("decodes msgpack and releases each split after its last record, or at once when it is empty", async () => {
    const events = await read({ schema: "msgpack" }, ["s.packed", "s.none"]);
    const packed = events.filter((e) => "split" in e || ("released" in e && e.released === "s.packed"));
    expect(packed).toEqual([
      { split: "s.packed", record: { n: 1 } },
      { split: "s.packed", record: { n: 2 } },
      { split: "s.packed", record: { n: 3 } },
      { released: "s.packed" },
    ]);
    expect(events.filter((e) => "released" in e && e.released === "s.none")).toHaveLength(1);
  });

  it("decodes UTF-8 text, and a message that is not UTF-8 is a bad record naming the stream, the subject and the sequence", async () => {
    const events = await read({ schema: "text" }, ["s.text"]);
    expect(events.filter((e) => "split" in e)).toEqual([{ split: "s.text", record: "ünïcode" }]);
    const letters = events.flatMap((e) => ("deadLetter" in e ? [e.deadLetter] : []));
    expect(letters).toMatchObject([{ source: "jetStreamSource S", split: "s.text", subject: "s.text", position: 5 }]);
    // Under a wildcard filter the first message (msgpack, sequence 1) is not UTF-8 either.
    await expect(read({ schema: "text", onBadRecord: "fail" }, ["s.*"])).rejects.toThrow(/^jetStreamSource S: cannot decode the record at sequence 1 of s\.\* \(subject s\.packed\): The encoded data was not valid for encoding utf-8/);
  });

  it("keeps the older deserialize option, and refuses it beside a schema", async () => {
    const events = await read({ deserialize: (data, subject) => `${subject}:${data.join(",")}` }, ["s.raw"]);
    expect(events.filter((e) => "split" in e)).toEqual([{ split: "s.raw", record: "s.raw:7,8,9" }]);
    expect(() => jetStreamSource({ servers: server.url, stream: "S", schema: "json", deserialize: () => 1 })).toThrow("jetStreamSource S: give schema or deserialize, not both");
  });
});
