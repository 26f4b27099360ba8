// The producing end of a channel on the embedded bus: records batch into numbered frames, control
// elements keep their place, and nothing leaves without credit.

import { afterEach, describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { decode } from "../../src/messages/codec.ts";
import type { DataElement, Frame } from "../../src/messages/schema.ts";
import { ChannelWriter, MAX_FRAME_BYTES, RecordTooLargeError } from "../../src/runtime/channel-writer.ts";

const SUBJECT = "weir.data.job.0.e0.0.1";

let bus: InProcessBus;
afterEach(async () => {
  await bus?.close();
});

/** A writer for producer 1 on a fresh bus, and the frames that reach the consumer's subject. */
function setup(targetBytes?: number) {
  bus = new InProcessBus();
  const frames: Frame[] = [];
  const sizes: number[] = [];
  bus.subscribe(SUBJECT, (data) => {
    const outcome = decode(data, ["frame"]);
    if (!outcome.ok) throw new Error(`undecodable frame: ${outcome.detail}`);
    frames.push(outcome.message);
    sizes.push(data.length);
  });
  let credits = 0;
  const writer = new ChannelWriter(bus, SUBJECT, 1, "attempt-token", () => credits++, targetBytes);
  return { writer, frames, sizes, creditCalls: () => credits, delivered: () => bus.flush() };
}

const recordsOf = (frames: Frame[]) => frames.flatMap((f) => f.elements.flatMap((e) => (e.kind === "records" ? e.records : [])));

describe("ChannelWriter", () => {
  it("batches records into frames numbered 1, 2, 3 from its producer", async () => {
    const { writer, frames, delivered } = setup();
    writer.grant(10);
    writer.emit("a");
    writer.emit("b");
    writer.flush();
    writer.emit("c");
    writer.flush();
    writer.emitControl({ kind: "end-of-partition" });
    await delivered();
    expect(frames.map((f) => [f.seq, f.producer])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(frames.map((f) => f.elements)).toEqual([[{ kind: "records", records: ["a", "b"] }], [{ kind: "records", records: ["c"] }], [{ kind: "end-of-partition" }]]);
    expect(frames.map((f) => f.token)).toEqual(["attempt-token", "attempt-token", "attempt-token"]);
    expect(writer.framesSent).toBe(3);
  });

  it("sends nothing for a flush with nothing buffered", async () => {
    const { writer, frames, delivered } = setup();
    writer.grant(5);
    writer.flush();
    writer.flush();
    await delivered();
    expect(frames).toEqual([]);
    expect(writer.hasBufferedRecords).toBe(false);
  });

  it("places a control element after the records emitted before it, in one frame", async () => {
    const { writer, frames, delivered } = setup();
    writer.grant(10);
    writer.emit(1);
    writer.emit(2);
    writer.emitControl({ kind: "watermark", timestamp: 5 });
    writer.emit(3);
    writer.emitControl({ kind: "barrier", checkpointId: 1, timestamp: 6, mode: "exactly-once" });
    writer.emitControl({ kind: "end-of-partition" });
    await delivered();
    const stream: DataElement[] = frames.flatMap((f) => f.elements);
    expect(stream).toEqual([
      { kind: "records", records: [1, 2] },
      { kind: "watermark", timestamp: 5 },
      { kind: "records", records: [3] },
      { kind: "barrier", checkpointId: 1, timestamp: 6, mode: "exactly-once" },
      { kind: "end-of-partition" },
    ]);
    expect(frames[0].elements).toEqual(stream.slice(0, 2));
  });

  it("flushes on its own when a frame holds enough records", async () => {
    const { writer, frames, delivered } = setup();
    writer.grant(10);
    for (let i = 0; i < 64; i++) writer.emit(i);
    await delivered();
    expect(frames).toHaveLength(1);
    expect(recordsOf(frames)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(writer.hasBufferedRecords).toBe(false);
  });

  it("sizes frames near its target once it has seen record sizes", async () => {
    const { writer, sizes, delivered } = setup(8 * 1024);
    writer.grant(1000);
    const record = "x".repeat(100);
    for (let i = 0; i < 5000; i++) writer.emit(record);
    writer.flush();
    await delivered();
    // After the first frame (64 records), frames hold about 8 KiB of records, never more than ~one record over.
    for (const size of sizes.slice(1, -1)) {
      expect(size).toBeGreaterThan(7 * 1024);
      expect(size).toBeLessThan(8 * 1024 + 200);
    }
  });

  it("sends nothing without credit: the frame waits and the writer reports backpressure", async () => {
    const { writer, frames, delivered } = setup();
    writer.emit("a");
    expect(writer.isBackpressured).toBe(false);
    writer.flush();
    await delivered();
    expect(frames).toEqual([]);
    expect(writer.isBackpressured).toBe(true);
    expect(writer.hasCredit).toBe(false);
  });

  it("releases waiting frames, in order, as credit arrives, and tells its owner", async () => {
    const { writer, frames, creditCalls, delivered } = setup();
    writer.grant(1);
    for (const r of ["a", "b", "c"]) {
      writer.emit(r);
      writer.flush();
    }
    await delivered();
    expect(frames.map((f) => f.seq)).toEqual([1]);
    expect(writer.isBackpressured).toBe(true);

    writer.grant(2);
    await delivered();
    expect(frames.map((f) => f.seq)).toEqual([1, 2]);
    expect(writer.isBackpressured).toBe(true);

    writer.grant(4);
    await delivered();
    expect(frames.map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(recordsOf(frames)).toEqual(["a", "b", "c"]);
    expect(writer.isBackpressured).toBe(false);
    expect(writer.hasCredit).toBe(true);
    expect(creditCalls()).toBe(3);
  });

  it("treats credits as cumulative: a lower or repeated grant changes nothing", async () => {
    const { writer, frames, creditCalls, delivered } = setup();
    writer.grant(2);
    writer.grant(1);
    writer.grant(2);
    expect(creditCalls()).toBe(1);
    for (const r of ["a", "b", "c"]) {
      writer.emit(r);
      writer.flush();
    }
    await delivered();
    expect(frames.map((f) => f.seq)).toEqual([1, 2]);
    writer.grant(2); // a re-announced grant, lost and repeated: still two frames in total
    await delivered();
    expect(frames).toHaveLength(2);
    writer.grant(3);
    await delivered();
    expect(frames.map((f) => f.seq)).toEqual([1, 2, 3]);
  });

  it("never sends a new frame ahead of frames already waiting", async () => {
    const { writer, frames, delivered } = setup();
    writer.emit("first");
    writer.flush(); // waits: no credit
    writer.grant(1); // sends "first"
    writer.emit("second");
    writer.flush(); // waits
    writer.emit("third");
    writer.flush(); // waits behind "second"
    writer.grant(3);
    await delivered();
    expect(frames.map((f) => [f.seq, recordsOf([f])])).toEqual([
      [1, ["first"]],
      [2, ["second"]],
      [3, ["third"]],
    ]);
  });

  it("splits a frame over the size limit into several, in order, with consecutive numbers", async () => {
    const { writer, frames, sizes, delivered } = setup();
    writer.grant(100);
    const records = Array.from({ length: 12 }, (_, i) => `${i}:${"r".repeat(100 * 1024)}`);
    for (const r of records) writer.emit(r);
    writer.emitControl({ kind: "watermark", timestamp: 42 });
    await delivered();
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(recordsOf(frames)).toEqual(records);
    expect(frames.at(-1)!.elements.at(-1)).toEqual({ kind: "watermark", timestamp: 42 });
  });

  it("throws RecordTooLargeError for a single record above the frame limit", () => {
    const { writer } = setup();
    writer.grant(10);
    writer.emit("x".repeat(MAX_FRAME_BYTES));
    expect(() => writer.flush()).toThrow(RecordTooLargeError);
    const { writer: second } = setup();
    second.grant(10);
    second.emit("y".repeat(MAX_FRAME_BYTES));
    expect(() => second.emitControl({ kind: "end-of-partition" })).toThrow(/a single record encodes to \d+ bytes, above the frame limit of 524288/);
  });

  it("accepts a single record just under the frame limit", async () => {
    const { writer, frames, delivered } = setup();
    writer.grant(10);
    writer.emit("x".repeat(MAX_FRAME_BYTES - 100));
    writer.flush();
    await delivered();
    expect(frames).toHaveLength(1);
  });
});
