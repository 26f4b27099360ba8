// The consuming end of a subtask's channels on the embedded bus, with a simulated clock: sequence
// checks, credit announcements and their refresh, and garbage counted rather than fatal.

import { afterEach, describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { Rejections } from "../../src/messages/rejections.ts";
import type { DataElement } from "../../src/messages/schema.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { ChannelWriter } from "../../src/runtime/channel-writer.ts";
import { SimulatedClock } from "../../src/core/clock.ts";
import { ChannelSequenceError, DEFAULT_CREDITS_PER_CHANNEL, InputGate } from "../../src/runtime/input-gate.ts";

const JOB = "job-1";
const ATTEMPT = 0;
const CONSUMER = 0;
const TOKEN = "attempt-token";
const METRIC = "weir_rejected_messages_total";

let bus: InProcessBus;
let gate: InputGate | undefined;
afterEach(async () => {
  gate?.close();
  gate = undefined;
  await bus?.close();
});

/** A gate for consumer 0 of edge e0 (producers 0 and 1), the credits it announces, and its errors. */
function setup(options: { creditsPerChannel?: number; producers?: number[] } = {}) {
  bus = new InProcessBus();
  const clock = new SimulatedClock(1000);
  const metrics = new MetricRegistry();
  const credits: { subject: string; consumer: number; credits: number }[] = [];
  bus.subscribe("weir.credit.>", (data, subject) => {
    const outcome = decode(data, ["credit"]);
    if (!outcome.ok) throw new Error(outcome.detail);
    credits.push({ subject, consumer: outcome.message.consumer, credits: outcome.message.credits });
  });
  const errors: Error[] = [];
  let readable = 0;
  gate = new InputGate({
    bus,
    clock,
    jobId: JOB,
    attempt: ATTEMPT,
    token: TOKEN,
    consumer: CONSUMER,
    edges: [{ edgeId: "e0", inputIndex: 0, producers: options.producers ?? [0, 1] }],
    rejections: new Rejections(metrics, silentLogger(), "test gate"),
    creditsPerChannel: options.creditsPerChannel,
    onReadable: () => readable++,
    onChannelError: (error) => errors.push(error),
  });
  const g = gate;
  return {
    gate: g,
    clock,
    metrics,
    credits,
    errors,
    readable: () => readable,
    settle: () => bus.flush(),
    /** Publishes a hand-made frame from `producer` on its channel subject. */
    sendFrame(producer: number, seq: number, elements: DataElement[] = [{ kind: "records", records: [`${producer}/${seq}`] }]) {
      bus.publish(subjects.frames(JOB, ATTEMPT, "e0", CONSUMER, producer), encode({ type: "frame", seq, producer, token: TOKEN, elements }));
    },
    sendBytes(producer: number, bytes: Uint8Array) {
      bus.publish(subjects.frames(JOB, ATTEMPT, "e0", CONSUMER, producer), bytes);
    },
  };
}

const creditSubject = (producer: number) => subjects.credits(JOB, ATTEMPT, "e0", producer, CONSUMER);

describe("InputGate credits", () => {
  it("announces its initial credit to every producer when it opens", async () => {
    const t = setup({ creditsPerChannel: 3 });
    t.gate.open();
    await t.settle();
    expect(t.credits).toEqual([
      { subject: creditSubject(0), consumer: CONSUMER, credits: 3 },
      { subject: creditSubject(1), consumer: CONSUMER, credits: 3 },
    ]);
  });

  it("announces the default number of credits when none is configured", async () => {
    const t = setup();
    t.gate.open();
    await t.settle();
    expect(t.credits.map((c) => c.credits)).toEqual([DEFAULT_CREDITS_PER_CHANNEL, DEFAULT_CREDITS_PER_CHANNEL]);
  });

  it("grants one more credit on a channel for every frame released", async () => {
    const t = setup({ creditsPerChannel: 2 });
    t.gate.open();
    t.sendFrame(1, 1);
    t.sendFrame(1, 2);
    await t.settle();
    t.credits.length = 0;
    const first = t.gate.poll()!;
    t.gate.release(first.channel);
    const second = t.gate.poll()!;
    t.gate.release(second.channel);
    await t.settle();
    expect(t.credits).toEqual([
      { subject: creditSubject(1), consumer: CONSUMER, credits: 3 },
      { subject: creditSubject(1), consumer: CONSUMER, credits: 4 },
    ]);
  });

  it("re-announces credit on a quiet channel after the refresh interval, but not on a busy one", async () => {
    const t = setup({ creditsPerChannel: 2 });
    t.gate.open();
    await t.settle();
    t.credits.length = 0;

    t.clock.advanceBy(99);
    await t.settle();
    expect(t.credits).toEqual([]);

    t.sendFrame(0, 1);
    await t.settle();
    const taken = t.gate.poll()!;
    t.gate.release(taken.channel);
    await t.settle();
    t.credits.length = 0;

    t.clock.advanceBy(1); // 100 ms after open: channel 0 received a frame, channel 1 stayed quiet
    await t.settle();
    expect(t.credits).toEqual([{ subject: creditSubject(1), consumer: CONSUMER, credits: 2 }]);

    t.credits.length = 0;
    t.clock.advanceBy(100); // now both were quiet for a whole interval
    await t.settle();
    expect(t.credits).toEqual([
      { subject: creditSubject(0), consumer: CONSUMER, credits: 3 },
      { subject: creditSubject(1), consumer: CONSUMER, credits: 2 },
    ]);
  });

  it("does not re-announce credit on a channel whose frames are still buffered", async () => {
    const t = setup({ creditsPerChannel: 2, producers: [0] });
    t.gate.open();
    t.sendFrame(0, 1);
    await t.settle();
    t.credits.length = 0;
    t.clock.advanceBy(100);
    t.clock.advanceBy(100);
    await t.settle();
    expect(t.credits).toEqual([]);
  });

  it("stops announcing once closed", async () => {
    const t = setup();
    t.gate.open();
    await t.settle();
    t.credits.length = 0;
    t.gate.close();
    t.clock.advanceBy(1000);
    await t.settle();
    expect(t.credits).toEqual([]);
  });

  it("repairs a credit grant the producer missed because it was not listening yet", async () => {
    const t = setup({ creditsPerChannel: 2, producers: [0] });
    t.gate.open(); // the initial grant goes out before the producer subscribes
    await t.settle();
    const writer = new ChannelWriter(bus, subjects.frames(JOB, ATTEMPT, "e0", CONSUMER, 0), 0, TOKEN, () => {});
    bus.subscribe(subjects.creditsInto(JOB, ATTEMPT, "e0", 0), (data) => {
      const outcome = decode(data, ["credit"]);
      if (outcome.ok) writer.grant(outcome.message.credits);
    });
    writer.emit("hello");
    writer.flush();
    await t.settle();
    expect(writer.isBackpressured).toBe(true);
    t.clock.advanceBy(100);
    await t.settle();
    expect(writer.isBackpressured).toBe(false);
    expect(t.gate.poll()?.frame.elements).toEqual([{ kind: "records", records: ["hello"] }]);
  });
});

describe("InputGate frames", () => {
  it("buffers frames in sequence, signals readability, and hands them out in arrival order across channels", async () => {
    const t = setup();
    t.gate.open();
    t.sendFrame(1, 1);
    t.sendFrame(0, 1);
    t.sendFrame(0, 2);
    t.sendFrame(1, 2);
    await t.settle();
    expect(t.readable()).toBe(4);
    expect(t.gate.hasBufferedFrames).toBe(true);
    const taken: string[] = [];
    for (let next = t.gate.poll(); next; next = t.gate.poll()) taken.push(`${next.channel.producer}:${next.frame.seq}:${JSON.stringify(next.frame.elements)}`);
    expect(taken).toEqual([
      `1:1:[{"kind":"records","records":["1/1"]}]`,
      `0:1:[{"kind":"records","records":["0/1"]}]`,
      `0:2:[{"kind":"records","records":["0/2"]}]`,
      `1:2:[{"kind":"records","records":["1/2"]}]`,
    ]);
    expect(t.gate.hasBufferedFrames).toBe(false);
    expect(t.errors).toEqual([]);
  });

  it("keeps arrival order when frames arrive between polls", async () => {
    const t = setup();
    t.gate.open();
    t.sendFrame(0, 1);
    t.sendFrame(1, 1);
    await t.settle();
    expect(t.gate.poll()?.channel.producer).toBe(0);
    t.sendFrame(0, 2);
    await t.settle();
    expect([t.gate.poll(), t.gate.poll(), t.gate.poll()].map((n) => n && `${n.channel.producer}:${n.frame.seq}`)).toEqual(["1:1", "0:2", undefined]);
  });

  it("fails the channel with ChannelSequenceError when a frame is missing", async () => {
    const t = setup();
    t.gate.open();
    t.sendFrame(0, 1);
    t.sendFrame(0, 3);
    await t.settle();
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toBeInstanceOf(ChannelSequenceError);
    expect(t.errors[0].message).toBe("channel e0[0→0]: expected frame 2, got 3 (frames were lost); failing the subtask");
    expect(t.gate.channels[0].frames.map((f) => f.seq)).toEqual([1]);
  });

  it("fails the channel with ChannelSequenceError when a frame is repeated", async () => {
    const t = setup();
    t.gate.open();
    t.sendFrame(1, 1);
    t.sendFrame(1, 2);
    t.sendFrame(1, 2);
    await t.settle();
    expect(t.errors.map((e) => [e.name, e.message])).toEqual([["ChannelSequenceError", "channel e0[1→0]: expected frame 3, got 2 (a frame was repeated); failing the subtask"]]);
  });

  it("fails the channel when the first frame is not number 1", async () => {
    const t = setup();
    t.gate.open();
    t.sendFrame(0, 2);
    await t.settle();
    expect(t.errors[0]).toBeInstanceOf(ChannelSequenceError);
  });

  it("marks a channel ended at end-of-partition, and the gate once every channel has ended", async () => {
    const t = setup();
    t.gate.open();
    t.sendFrame(0, 1, [{ kind: "records", records: [1] }, { kind: "end-of-partition" }]);
    await t.settle();
    expect(t.gate.channels.map((c) => c.ended)).toEqual([true, false]);
    expect(t.gate.allEnded).toBe(false);
    t.sendFrame(1, 1, [{ kind: "end-of-partition" }]);
    await t.settle();
    expect(t.gate.allEnded).toBe(true);
  });

  it("grants no more credit on an ended channel", async () => {
    const t = setup({ producers: [0] });
    t.gate.open();
    t.sendFrame(0, 1, [{ kind: "end-of-partition" }]);
    await t.settle();
    t.credits.length = 0;
    t.gate.release(t.gate.poll()!.channel);
    t.clock.advanceBy(500);
    await t.settle();
    expect(t.credits).toEqual([]);
  });

  it("ignores frames after it is closed", async () => {
    const t = setup();
    t.gate.open();
    t.gate.close();
    t.sendFrame(0, 1);
    t.sendFrame(0, 5);
    await t.settle();
    expect(t.gate.poll()).toBeUndefined();
    expect(t.errors).toEqual([]);
  });
});

describe("InputGate rejections", () => {
  it("counts garbage bytes on a frame subject as malformed, and carries on", async () => {
    const t = setup();
    t.gate.open();
    t.sendBytes(0, Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
    t.sendBytes(0, new Uint8Array());
    t.sendFrame(0, 1);
    await t.settle();
    expect(t.metrics.sum(METRIC, { endpoint: "test gate", reason: "malformed" })).toBe(2);
    expect(t.errors).toEqual([]);
    expect(t.gate.poll()?.frame.seq).toBe(1);
  });

  it("counts a message of another type on a frame subject as unexpected-type", async () => {
    const t = setup();
    t.gate.open();
    t.sendBytes(0, encode({ type: "credit", consumer: 0, credits: 5, token: TOKEN }));
    await t.settle();
    expect(t.metrics.sum(METRIC, { reason: "unexpected-type" })).toBe(1);
    expect(t.gate.poll()).toBeUndefined();
  });

  it("counts a frame from a producer that is not one of its channels as invalid", async () => {
    const t = setup();
    t.gate.open();
    t.sendBytes(7, encode({ type: "frame", seq: 1, producer: 7, token: TOKEN, elements: [] }));
    await t.settle();
    expect(t.metrics.sum(METRIC, { reason: "invalid" })).toBe(1);
    expect(t.errors).toEqual([]);
  });

  it("counts a frame whose producer field disagrees with its subject as invalid", async () => {
    const t = setup();
    t.gate.open();
    t.sendBytes(1, encode({ type: "frame", seq: 1, producer: 0, token: TOKEN, elements: [] }));
    await t.settle();
    expect(t.metrics.sum(METRIC, { reason: "invalid" })).toBe(1);
    expect(t.gate.channels.map((c) => c.expectedSeq)).toEqual([1, 1]);
  });

  it("refuses any frame on a channel after its end of partition: counted as after-end, nothing of it is buffered", async () => {
    const t = setup({ producers: [0] });
    t.gate.open();
    t.sendFrame(0, 1, [{ kind: "records", records: ["last"] }, { kind: "end-of-partition" }]);
    // The next sequence number, and a priority frame: both after the end.
    t.sendFrame(0, 2, [{ kind: "records", records: ["forged"] }]);
    t.sendFrame(0, 0, [{ kind: "barrier", checkpointId: 9, timestamp: 0, mode: "exactly-once", unaligned: true }]);
    await t.settle();
    expect(t.metrics.sum(METRIC, { endpoint: "test gate", reason: "after-end" })).toBe(2);
    expect(t.errors).toEqual([]);
    const taken = t.gate.poll();
    expect(taken?.frame.elements).toEqual([{ kind: "records", records: ["last"] }, { kind: "end-of-partition" }]);
    expect(t.gate.poll()).toBeUndefined();
    expect(t.gate.channels[0].expectedSeq).toBe(2);
  });

  it("refuses a frame without this attempt's token before looking at its number: a forged next frame neither displaces the real one nor fails the subtask", async () => {
    const t = setup({ producers: [0] });
    t.gate.open();
    for (const token of ["another-attempt", ""]) t.sendBytes(0, encode({ type: "frame", seq: 1, producer: 0, token, elements: [{ kind: "records", records: ["forged"] }] }));
    t.sendBytes(0, encode({ type: "frame", seq: 7, producer: 0, token: "another-attempt", elements: [] }));
    t.sendFrame(0, 1, [{ kind: "records", records: ["real"] }]);
    await t.settle();
    expect(t.metrics.sum(METRIC, { endpoint: "test gate", reason: "wrong-deployment" })).toBe(3);
    expect(t.errors).toEqual([]);
    expect(t.gate.poll()?.frame.elements).toEqual([{ kind: "records", records: ["real"] }]);
    expect(t.gate.poll()).toBeUndefined();
  });

  it("announces credit with this attempt's token", async () => {
    const t = setup({ producers: [0] });
    const tokens: string[] = [];
    bus.subscribe(subjects.creditsInto(JOB, ATTEMPT, "e0", 0), (data) => {
      const outcome = decode(data, ["credit"]);
      if (outcome.ok) tokens.push(outcome.message.token);
    });
    t.gate.open();
    await t.settle();
    expect(tokens).toEqual([TOKEN]);
  });

  it("counts an oversized message on a frame subject before decoding it", async () => {
    const t = setup();
    t.gate.open();
    t.sendBytes(0, new Uint8Array(2 * 1024 * 1024).fill(0xc1));
    await t.settle();
    expect(t.metrics.sum(METRIC, { reason: "oversized" })).toBe(1);
  });
});

describe("ChannelWriter and InputGate together", () => {
  it("move every record, in order, through a channel with little credit", async () => {
    const t = setup({ creditsPerChannel: 2, producers: [0] });
    const writer = new ChannelWriter(bus, subjects.frames(JOB, ATTEMPT, "e0", CONSUMER, 0), 0, TOKEN, () => {});
    bus.subscribe(subjects.creditsInto(JOB, ATTEMPT, "e0", 0), (data) => {
      const outcome = decode(data, ["credit"]);
      if (outcome.ok) writer.grant(outcome.message.credits);
    });
    t.gate.open();
    const sent = Array.from({ length: 1000 }, (_, i) => ({ n: i }));
    for (const record of sent) {
      writer.emit(record);
      if (record.n % 10 === 9) writer.flush();
    }
    writer.emitControl({ kind: "end-of-partition" });
    expect(writer.isBackpressured).toBe(true);

    const received: unknown[] = [];
    let maxBuffered = 0;
    for (let rounds = 0; rounds < 1000 && !(t.gate.allEnded && t.gate.channels[0].frames.length === 0); rounds++) {
      await t.settle();
      maxBuffered = Math.max(maxBuffered, t.gate.channels[0].frames.length);
      for (let next = t.gate.poll(); next; next = t.gate.poll()) {
        for (const e of next.frame.elements) if (e.kind === "records") received.push(...e.records);
        t.gate.release(next.channel);
      }
    }
    expect(received).toEqual(sent);
    expect(maxBuffered).toBeLessThanOrEqual(2);
    expect(t.errors).toEqual([]);
    expect(writer.isBackpressured).toBe(false);
  });
});
