// SubtaskBarriers carrying out the barrier handler's effects on a real InputGate and
// SubtaskCheckpointer over the embedded bus: a channel that delivered a barrier is blocked (its
// later frames are set aside), the checkpoint is acknowledged once every live channel delivered
// it or ended, then every channel is read again (the held frames in arrival order); an abort
// notice releases. At the end of its input it waits for its final checkpoint: it reports the end of
// data, snapshots on a trigger itself, and ends once a checkpoint with that snapshot completes.

import { afterEach, describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { InlineCheckpointStorage } from "../../src/checkpoint/inline-checkpoint-storage.ts";
import { SimulatedClock } from "../../src/core/clock.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { Rejections } from "../../src/messages/rejections.ts";
import type { DataElement, JobVertexSpec, SubtaskId } from "../../src/messages/schema.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { InputGate } from "../../src/runtime/input-gate.ts";
import { SubtaskBarriers } from "../../src/runtime/subtask-barriers.ts";
import { SubtaskCheckpointer } from "../../src/runtime/subtask-checkpointer.ts";

const JOB = "job-1";
const task: SubtaskId = { jobId: JOB, vertexId: "v2", subtaskIndex: 0, attempt: 0 };
const vertex: JobVertexSpec = { id: "v2", name: "sink", parallelism: 1, maxParallelism: 128, nodes: [2], operatorUids: ["sink"], isSource: false, bufferTimeoutMs: 100 };
const barrier = (checkpointId: number): DataElement => ({ kind: "barrier", checkpointId, timestamp: 0, mode: "exactly-once" });
const records = (...values: string[]): DataElement => ({ kind: "records", records: values });

let bus: InProcessBus;
let close = () => {};
afterEach(async () => {
  close();
  await bus?.close();
});

/** A subtask's input side with two channels (producers 0 and 1), its barrier handling, and what it acknowledged and processed. */
function subtask() {
  bus = new InProcessBus();
  const clock = new SimulatedClock(1000);
  const metrics = new MetricRegistry();
  const rejections = new Rejections(metrics, silentLogger(), "test");
  const acks: number[] = [];
  const reports = { endOfData: 0 };
  bus.subscribe(subjects.checkpointAcks(JOB), (data) => {
    const outcome = decode(data, ["checkpoint-ack", "checkpoint-decline", "end-of-data"]);
    if (outcome.ok && outcome.message.type === "checkpoint-ack") acks.push(outcome.message.checkpointId);
    if (outcome.ok && outcome.message.type === "end-of-data") reports.endOfData += 1;
  });
  const processed: string[] = [];
  let barriers: SubtaskBarriers | undefined;
  const gate = new InputGate({
    bus,
    clock,
    jobId: JOB,
    attempt: 0,
    token: "t",
    consumer: 0,
    edges: [{ edgeId: "e0", inputIndex: 0, producers: [0, 1] }],
    rejections,
    onReadable: () => undefined,
    onChannelError: (error) => {
      throw error;
    },
  });
  const storage = new InlineCheckpointStorage();
  const checkpointer = new SubtaskCheckpointer({ bus, clock, log: silentLogger(), task, vertex, slots: [], storage, openSavepointStorage: () => storage, metrics });
  barriers = new SubtaskBarriers({
    bus,
    rejections,
    task,
    vertex,
    clock,
    metrics,
    checkpointer,
    gate,
    outputs: [],
    scheduleDrain: () => undefined,
    guard: (fn) => fn(),
    acceptsTrigger: () => false,
    onStop: () => undefined,
  });
  gate.open();
  close = () => {
    barriers?.close();
    checkpointer.close();
    gate.close();
  };
  const seq = [0, 0];
  return {
    acks,
    processed,
    gate,
    reports,
    clock,
    barriers: barriers!,
    async settle() {
      await bus.flush();
      await checkpointer.settle();
      await bus.flush();
    },
    async trigger(checkpointId: number) {
      bus.publish(subjects.checkpointControl(JOB), encode({ type: "trigger-checkpoint", jobId: JOB, checkpointId, timestamp: 0, mode: "exactly-once" }));
      await bus.flush();
    },
    blocked: () => gate.channels.map((c) => c.blocked),
    async send(producer: number, ...elements: DataElement[]) {
      seq[producer] += 1;
      bus.publish(subjects.frames(JOB, 0, "e0", 0, producer), encode({ type: "frame", seq: seq[producer], producer, token: "t", elements }));
      await bus.flush();
    },
    /** Processes every frame the gate hands out, as StreamTask.drain does, element by element. */
    async drain() {
      for (let next = gate.poll(); next; next = gate.poll()) {
        const { channel, frame } = next;
        let consumed = true;
        for (let e = 0; e < frame.elements.length; e++) {
          const element = frame.elements[e];
          if (element.kind === "records") processed.push(...(element.records as string[]));
          else if (element.kind === "end-of-partition") barriers!.onEndOfPartition(channel);
          else if (element.kind === "barrier" && barriers!.onBarrier(channel, element) && e + 1 < frame.elements.length) {
            gate.unread(channel, { ...frame, elements: frame.elements.slice(e + 1) });
            consumed = false;
            break;
          }
        }
        if (consumed) gate.release(channel);
      }
      await bus.flush();
      await checkpointer.settle();
      await bus.flush();
    },
    async notify(checkpointId: number, outcome: "complete" | "aborted") {
      bus.publish(subjects.checkpointControl(JOB), encode({ type: "checkpoint-notify", jobId: JOB, checkpointId, outcome }));
      await bus.flush();
    },
  };
}

describe("SubtaskBarriers on a real input gate", () => {
  it("blocks the channel that delivered the barrier, acknowledges once both have, then reads the held frames", async () => {
    const t = subtask();
    await t.send(0, records("a1"), barrier(1), records("a2"));
    await t.drain();
    expect(t.blocked()).toEqual([true, false]);
    expect(t.processed).toEqual(["a1"]);
    await t.send(0, records("a3"));
    await t.send(1, records("b1"));
    await t.drain();
    // b1 came before channel 1's barrier; a2 and a3 came after channel 0's and wait.
    expect(t.processed).toEqual(["a1", "b1"]);
    expect(t.acks).toEqual([]);
    await t.send(1, barrier(1), records("b2"));
    await t.drain();
    expect(t.acks).toEqual([1]);
    expect(t.blocked()).toEqual([false, false]);
    // The frame in hand goes on after its barrier (b2); then the held frames, in arrival order.
    expect(t.processed).toEqual(["a1", "b1", "b2", "a2", "a3"]);
  });

  it("takes the checkpoint when the only channel still owing the barrier ends instead", async () => {
    const t = subtask();
    await t.send(0, barrier(4), records("a1"));
    await t.drain();
    expect(t.acks).toEqual([]);
    await t.send(1, records("b1"), { kind: "end-of-partition" });
    await t.drain();
    expect(t.acks).toEqual([4]);
    expect(t.processed).toEqual(["b1", "a1"]);
  });

  it("an abort notice gives the alignment up and reads the held frames again; the late barrier is ignored", async () => {
    const t = subtask();
    await t.send(0, barrier(2), records("a1"));
    await t.drain();
    expect(t.blocked()).toEqual([true, false]);
    await t.notify(2, "aborted");
    await t.drain();
    expect(t.blocked()).toEqual([false, false]);
    expect(t.processed).toEqual(["a1"]);
    await t.send(1, barrier(2), records("b1"));
    await t.drain();
    expect(t.acks).toEqual([]);
    expect(t.blocked()).toEqual([false, false]);
    expect(t.processed).toEqual(["a1", "b1"]);
  });

  it("at the end of its input: reports it, takes the checkpoint triggered while it still processed, and ends only when that checkpoint completes", async () => {
    const t = subtask();
    await t.send(0, records("a1"));
    await t.drain();
    // Triggered upstream after its sources ended: no barrier for it comes in-band.
    await t.trigger(5);
    await t.send(0, records("a2"), { kind: "end-of-partition" });
    await t.send(1, { kind: "end-of-partition" });
    await t.drain();
    expect(t.acks).toEqual([]);
    let ended = false;
    const waiting = t.barriers.awaitFinalCheckpoint().then(() => (ended = true));
    await t.settle();
    expect(t.reports.endOfData).toBe(1);
    expect(t.acks).toEqual([5]);
    // An earlier checkpoint's completion does not end the wait; a later trigger is taken too.
    await t.notify(4, "complete");
    await t.trigger(6);
    await t.settle();
    expect(t.acks).toEqual([5, 6]);
    expect(ended).toBe(false);
    // Said again while it waits (the coordinator may not have heard it).
    t.clock.advanceBy(100);
    await t.settle();
    expect(t.reports.endOfData).toBe(2);
    await t.notify(5, "complete");
    await waiting;
    expect(ended).toBe(true);
    expect(t.processed).toEqual(["a1", "a2"]);
  });

  it("a checkpoint it took in-band before its end is not taken again; closing ends the wait", async () => {
    const t = subtask();
    await t.trigger(3);
    await t.send(0, barrier(3), { kind: "end-of-partition" });
    await t.send(1, barrier(3), { kind: "end-of-partition" });
    await t.drain();
    expect(t.acks).toEqual([3]);
    let ended = false;
    const waiting = t.barriers.awaitFinalCheckpoint().then(() => (ended = true));
    await t.settle();
    // Checkpoint 3 holds its state before the end: its completion is not the final one.
    expect(t.acks).toEqual([3]);
    await t.notify(3, "complete");
    await t.settle();
    expect(ended).toBe(false);
    t.barriers.close();
    await waiting;
    expect(ended).toBe(true);
  });
});
