// The codec on its own, no bus: every message type survives encode → decode with its version
// stamped, and every kind of bad input comes back as a rejection with the right reason.

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decode, DEFAULT_MAX_MESSAGE_BYTES, encode, encodeVersioned, type RejectReason, type Unversioned } from "../../src/messages/codec.ts";
import { PROTOCOL_VERSION, type DataElement, type JobGraphSpec, type Message, type MessageType, type SubtaskId } from "../../src/messages/schema.ts";

const packr = new Packr({ useRecords: false, moreTypes: false });

const task: SubtaskId = { jobId: "job-1", vertexId: "v1", subtaskIndex: 2, attempt: 1 };

const jobGraph: JobGraphSpec = {
  jobName: "word count",
  digest: "0123456789abcdef",
  vertices: [
    { id: "v1", name: "Elements -> Map", parallelism: 1, maxParallelism: 128, nodes: [1, 2], operatorUids: ["auto-1", "counter"], isSource: true, bufferTimeoutMs: 100 },
    { id: "v3", name: "Reduce", parallelism: 2, maxParallelism: 128, nodes: [3], operatorUids: ["auto-3"], isSource: false, bufferTimeoutMs: 0.5 },
  ],
  edges: [{ id: "e0", source: "v1", target: "v3", partitioner: { kind: "hash" }, sourceNode: 2, sideOutput: "late", targetNode: 3, inputIndex: 0 }],
  config: { jobName: "word count", parallelism: 2, maxParallelism: 128, bufferTimeoutMs: 100 },
};

const everyElementKind: DataElement[] = [
  { kind: "records", records: [1, "two", { three: [3] }, null, true, 4.5] },
  { kind: "watermark", timestamp: 1_700_000_000_000 },
  { kind: "stream-status", status: "idle" },
  { kind: "barrier", checkpointId: 7, timestamp: 12, mode: "exactly-once" },
  { kind: "latency-marker", markedTime: 99, sourceVertex: "v1", sourceSubtask: 0 },
  { kind: "end-of-partition" },
];

/** One example of every message type; the mapped type makes the compiler insist on all of them. */
const examples: { [T in MessageType]: Unversioned<Extract<Message, { type: T }>> } = {
  frame: { type: "frame", seq: 1, producer: 3, token: "t-1", elements: everyElementKind },
  credit: { type: "credit", consumer: 1, credits: 8, token: "t-1" },
  "submit-job": { type: "submit-job", jobId: "job-1", artifact: { kind: "bundle", digest: "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", module: "wc.ts", args: ["--input", "x"], cwd: "/jobs", parallelism: 4 }, jobGraph, secret: "0123456789abcdef" },
  "submit-job-reply": { type: "submit-job-reply", jobId: "job-1", accepted: false, error: "no slots" },
  "job-status": { type: "job-status", jobId: "job-1", status: "running", timestamp: 5 },
  "cancel-job": { type: "cancel-job", jobId: "job-1" },
  "rescale-job": { type: "rescale-job", jobId: "job-1", parallelism: 3 },
  "rescale-job-reply": { type: "rescale-job-reply", jobId: "job-1", error: "no such job" },
  "register-worker": { type: "register-worker", workerId: "worker-a", slots: 4, host: "localhost", pid: 4242 },
  "worker-registered": { type: "worker-registered", workerId: "worker-a", heartbeatIntervalMs: 1000 },
  heartbeat: { type: "heartbeat", workerId: "worker-a", slots: 4, usedSlots: 2, timestamp: 10 },
  "request-slots": { type: "request-slots", jobId: "job-1", count: 3 },
  "slots-reply": { type: "slots-reply", jobId: "job-1", slots: [{ workerId: "worker-a", slotIndex: 0 }, { workerId: "worker-b", slotIndex: 1 }] },
  "release-slots": { type: "release-slots", jobId: "job-1" },
  "worker-lost": { type: "worker-lost", workerId: "worker-a", jobIds: ["job-1", "job-2"], reason: "heartbeat-timeout" },
  "worker-unresponsive": { type: "worker-unresponsive", workerId: "worker-a", jobId: "job-1", subtasks: 2 },
  "unregister-worker": { type: "unregister-worker", workerId: "worker-a" },
  "deploy-task": { type: "deploy-task", task, slotIndex: 1, artifact: { kind: "in-process", key: "k-1" }, jobGraph, channelToken: "t-1", collectKey: "c-1" },
  "cancel-task": { type: "cancel-task", task },
  "task-state": { type: "task-state", task, workerId: "worker-a", state: "failed", error: "boom" },
  collect: { type: "collect", jobId: "job-1", sinkId: "4", subtaskIndex: 0, seq: 3, records: [{ word: "a", count: 1 }], last: true, mac: "m-1" },
  "trigger-checkpoint": { type: "trigger-checkpoint", jobId: "job-1", checkpointId: 4, timestamp: 17, mode: "exactly-once", savepointDir: "/sp", stop: "drain" },
  "checkpoint-ack": {
    type: "checkpoint-ack",
    jobId: "job-1",
    checkpointId: 4,
    task,
    handle: { kind: "blob", uri: "file:///chk/job-1/chk-4/v1-2.state", bytes: 120, digest: "ab" },
    operatorUids: ["counter"],
    stats: { syncMs: 1, asyncMs: 2, alignmentMs: 0, bytes: 120 },
  },
  "checkpoint-decline": { type: "checkpoint-decline", jobId: "job-1", checkpointId: 4, task, reason: "snapshot failed" },
  "end-of-data": { type: "end-of-data", jobId: "job-1", task },
  "checkpoint-notify": { type: "checkpoint-notify", jobId: "job-1", checkpointId: 4, outcome: "aborted" },
  "trigger-savepoint": { type: "trigger-savepoint", jobId: "job-1", dir: "/savepoints/a", stop: "terminate" },
  "savepoint-reply": { type: "savepoint-reply", jobId: "job-1", location: "/savepoints/a" },
  "reader-registration": { type: "reader-registration", task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, token: "t-1" },
  "split-request": { type: "split-request", task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, token: "t-1" },
  "reader-event": { type: "reader-event", task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, token: "t-1", event: { watermark: 12 } },
  "split-assignment": { type: "split-assignment", task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, token: "t-1", seq: 1, splits: [{ path: "/data/a.txt", offset: 0 }] },
  "no-more-splits": { type: "no-more-splits", task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, token: "t-1", seq: 2 },
  "enumerator-event": { type: "enumerator-event", task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, token: "t-1", seq: 3, event: "pause" },
  "watermark-report": { type: "watermark-report", task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 1, attempt: 0 }, token: "t-1", group: "g", watermark: -Infinity, status: "idle" },
  "watermark-bound": { type: "watermark-bound", jobId: "job-1", group: "g", maxAllowedWatermark: Infinity },
  "task-metrics": {
    type: "task-metrics",
    jobId: "job-1",
    workerId: "w1",
    timestamp: 10,
    tasks: [{ task: { jobId: "job-1", vertexId: "v1", subtaskIndex: 0, attempt: 0 }, sample: { recordsIn: 10, recordsOut: 9, bytesIn: 100, bytesOut: 90, busyMs: 3.5, backPressuredMs: 0, inputWatermark: -Infinity, outputWatermark: 1000, queuedFrames: 2, framesAwaitingCredit: 0, startedAt: 1 } }],
  },
  "monitor-query": { type: "monitor-query", what: "jobs" },
  "worker-ping": { type: "worker-ping", workerId: "w1" },
  "worker-pong": { type: "worker-pong", workerId: "w1" },
  "monitor-reply": { type: "monitor-reply", body: { jobs: [] } },
  "cancel-job-reply": { type: "cancel-job-reply", jobId: "job-1" },
};

function rejection(bytes: Uint8Array, expected?: readonly MessageType[], maxBytes?: number): { reason: RejectReason; detail: string } {
  const outcome = decode(bytes, expected, maxBytes);
  if (outcome.ok) throw new Error(`expected a rejection, decoded ${JSON.stringify(outcome.message)}`);
  return outcome;
}

/** Packs any value as-is (no version stamped), to build hostile input. */
const raw = (value: unknown): Uint8Array => packr.pack(value);

describe("encode and decode", () => {
  it.each(Object.entries(examples))("a %s message decodes to itself with the protocol version stamped", (type, message) => {
    const outcome = decode(encode(message));
    expect(outcome).toEqual({ ok: true, message: { ...message, v: PROTOCOL_VERSION } });
    expect(decode(encode(message), [type as MessageType]).ok).toBe(true);
  });

  it("encode stamps the current version even over a stale one the caller supplied", () => {
    const stale = { ...examples.credit, v: 0 } as Message;
    const outcome = decode(encode(stale));
    expect(outcome.ok && outcome.message.v).toBe(PROTOCOL_VERSION);
  });

  it("encodeVersioned keeps the version the message carries, so a foreign version is rejected on decode", () => {
    const ours: Message = { ...examples.credit, v: PROTOCOL_VERSION };
    expect(decode(encodeVersioned(ours))).toEqual({ ok: true, message: ours });
    expect(rejection(encodeVersioned({ ...ours, v: PROTOCOL_VERSION + 1 })).reason).toBe("wrong-version");
  });

  it("a frame carrying every element kind keeps their order and contents", () => {
    const outcome = decode(encode(examples.frame), ["frame"]);
    expect(outcome.ok && outcome.message.elements).toEqual(everyElementKind);
  });

  it("frames with random records round-trip exactly", () => {
    const key = fc.string({ unit: "binary", maxLength: 12 }).filter((k) => k !== "__proto__");
    const { value: record } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
        fc.maxSafeInteger(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.array(tie("value"), { maxLength: 5 }),
        fc.dictionary(key, tie("value"), { maxKeys: 5 }),
      ),
    }));
    const frame = fc.record({
      seq: fc.integer({ min: 1, max: 2 ** 40 }),
      producer: fc.nat({ max: 32767 }),
      batches: fc.array(fc.array(record, { maxLength: 20 }), { minLength: 1, maxLength: 4 }),
      watermark: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(frame, ({ seq, producer, batches, watermark }) => {
        const elements: DataElement[] = batches.map((records) => ({ kind: "records", records }));
        if (watermark !== undefined) elements.push({ kind: "watermark", timestamp: watermark });
        const message = { type: "frame" as const, seq, producer, token: "t-1", elements };
        expect(decode(encode(message), ["frame"])).toEqual({ ok: true, message: { ...message, v: PROTOCOL_VERSION } });
      }),
      { numRuns: 300 },
    );
  });
});

describe("rejections", () => {
  const credit = encode(examples.credit);

  it("a message over maxBytes is oversized, and one exactly at the limit is accepted", () => {
    expect(rejection(credit, undefined, credit.length - 1)).toMatchObject({ reason: "oversized", detail: `${credit.length} bytes exceeds the limit of ${credit.length - 1}` });
    expect(decode(credit, undefined, credit.length).ok).toBe(true);
  });

  it("size is checked before decoding: oversized garbage is oversized, not malformed", () => {
    const garbage = new Uint8Array(64).fill(0xc1);
    expect(rejection(garbage, undefined, 63).reason).toBe("oversized");
    expect(rejection(garbage).reason).not.toBe("oversized");
  });

  it("the default limit is NATS's 1 MiB payload", () => {
    const big = encode({ type: "collect", jobId: "j", sinkId: "s", subtaskIndex: 0, seq: 1, records: ["x".repeat(DEFAULT_MAX_MESSAGE_BYTES)], last: true, mac: "m" });
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(1024 * 1024);
    expect(rejection(big).reason).toBe("oversized");
    expect(decode(big, undefined, big.length).ok).toBe(true);
  });

  it.each([
    ["empty input", new Uint8Array()],
    ["a truncated message", credit.subarray(0, credit.length - 1)],
    ["a valid message followed by trailing garbage", Uint8Array.from([...credit, 0x00])],
    ["two messages back to back", Uint8Array.from([...credit, ...credit])],
  ])("%s is malformed (not msgpack)", (_, bytes) => {
    const out = rejection(bytes);
    expect(out.reason).toBe("malformed");
    expect(out.detail).toMatch(/^not msgpack: /);
  });

  it.each([
    ["a number", 42],
    ["a string", "credit"],
    ["null", null],
    ["an array", [{ type: "credit", v: 1 }]],
  ])("msgpack holding %s is malformed (not a message object)", (_, value) => {
    expect(rejection(raw(value))).toMatchObject({ reason: "malformed", detail: "not a message object" });
  });

  it.each([
    ["a type nobody defined", { type: "launch-missiles", v: 1 }],
    ["no type at all", { v: 1, consumer: 0, credits: 1 }],
    ["a numeric type", { type: 7, v: 1 }],
    ["a type named after an Object.prototype member", { type: "constructor", v: 1 }],
    ["a type named toString", { type: "toString", v: 1 }],
    ["a type named __proto__", { type: "__proto__", v: 1 }],
  ])("a message with %s is unknown-type", (_, value) => {
    expect(rejection(raw(value)).reason).toBe("unknown-type");
  });

  it.each([
    ["a newer version", { ...examples.credit, v: PROTOCOL_VERSION + 1 }],
    ["no version", { ...examples.credit }],
    ["the version as a string", { ...examples.credit, v: String(PROTOCOL_VERSION) }],
  ])("a message with %s is wrong-version", (_, value) => {
    const out = rejection(raw(value));
    expect(out.reason).toBe("wrong-version");
    expect(out.detail).toContain(`this process speaks ${PROTOCOL_VERSION}`);
  });

  it("a well-formed message of a type the receiver did not expect is unexpected-type", () => {
    expect(rejection(credit, ["frame"])).toMatchObject({ reason: "unexpected-type", detail: "credit where frame was expected" });
    expect(rejection(credit, ["frame", "collect"]).detail).toBe("credit where frame|collect was expected");
  });

  it("type and version are judged before the expected types: an unknown type stays unknown-type", () => {
    expect(rejection(raw({ type: "nope", v: PROTOCOL_VERSION }), ["frame"]).reason).toBe("unknown-type");
    expect(rejection(raw({ ...examples.credit, v: 99 }), ["frame"]).reason).toBe("wrong-version");
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["a string where an integer belongs", { ...examples.credit, credits: "8" }, "$.credits: expected an integer"],
    ["a fraction where an integer belongs", { ...examples.credit, consumer: 1.5 }, "$.consumer: expected an integer"],
    ["a missing field", { type: "cancel-job" }, "$.jobId: expected an id of"],
    ["a job id with a dot, which would change the meaning of its subjects", { ...examples["submit-job"], jobId: "a.b" }, "$.jobId: expected an id of letters, digits, '-' and '_'"],
    ["a worker id with a wildcard", { type: "heartbeat", workerId: "w>", slots: 1, usedSlots: 0, timestamp: 1 }, "$.workerId: expected an id of"],
    ["a bad element kind deep in a frame", { ...examples.frame, elements: [everyElementKind[0], { kind: "bogus" }] }, "$.elements[1].kind: expected one of"],
    ["records that are not an array", { ...examples.frame, elements: [{ kind: "records", records: "nope" }] }, "$.elements[0].records: expected an array"],
    ["a bad stream status", { ...examples.frame, elements: [{ kind: "stream-status", status: "sleepy" }] }, "$.elements[0].status: expected one of idle|active"],
    ["a fractional parallelism inside the job graph", { ...examples["submit-job"], jobGraph: { ...jobGraph, vertices: [{ ...jobGraph.vertices[0], parallelism: 1.5 }] } }, "$.jobGraph.vertices[0].parallelism: expected an integer"],
    ["an unknown partitioner", { ...examples["deploy-task"], jobGraph: { ...jobGraph, edges: [{ ...jobGraph.edges[0], partitioner: { kind: "random" } }] } }, "$.jobGraph.edges[0].partitioner.kind: expected one of"],
    ["a missing subtask attempt", { ...examples["task-state"], task: { ...task, attempt: undefined } }, "$.task.attempt: expected an integer"],
    ["an unknown task state", { ...examples["task-state"], state: "zombie" }, "$.state: expected one of"],
    ["a number where an optional string belongs", { ...examples["submit-job-reply"], error: 500 }, "$.error: expected a string"],
    ["a string in a list of job ids' place", { ...examples["worker-lost"], jobIds: "job-1" }, "$.jobIds: expected an array"],
    ["a bad slot grant", { ...examples["slots-reply"], slots: [{ workerId: "w", slotIndex: -0.5 }] }, "$.slots[0].slotIndex: expected an integer"],
    ["an artifact of an unknown kind", { ...examples["submit-job"], artifact: { kind: "url" } }, "$.artifact.kind: expected one of bundle|in-process"],
    ["a boolean as a string", { ...examples.collect, last: "true" }, "$.last: expected a boolean"],
    ["NaN where a number belongs", { ...examples.heartbeat, timestamp: NaN }, "$.timestamp: expected a number"],
  ])("a message with %s is invalid, and the detail names the path", (_, value, detail) => {
    const out = rejection(raw({ ...value, v: PROTOCOL_VERSION }));
    expect(out.reason).toBe("invalid");
    expect(out.detail.startsWith(detail)).toBe(true);
  });

  it("optional fields may be absent or null", () => {
    const { error: _, ...noError } = examples["submit-job-reply"];
    expect(decode(raw({ ...noError, v: PROTOCOL_VERSION })).ok).toBe(true);
    expect(decode(raw({ ...noError, error: null, v: PROTOCOL_VERSION })).ok).toBe(true);
  });
});

describe("decode on hostile input", () => {
  const reasons: RejectReason[] = ["oversized", "malformed", "unknown-type", "wrong-version", "invalid", "unexpected-type"];

  it("never throws on random bytes, and answers with a known outcome", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.integer({ min: 0, max: 300 }), (bytes, maxBytes) => {
        const outcome = decode(bytes, undefined, maxBytes);
        if (!outcome.ok) expect(reasons).toContain(outcome.reason);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on valid messages with random bytes overwritten or cut off", () => {
    const originals = Object.values(examples).map((m) => encode(m));
    fc.assert(
      fc.property(
        fc.constantFrom(...originals),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (original, edits, cut) => {
          const bytes = original.slice(0, original.length - (cut % 3 === 0 ? cut % original.length : 0));
          for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
          const outcome = decode(bytes, ["frame", "credit"]);
          if (!outcome.ok) expect(reasons).toContain(outcome.reason);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never throws on arbitrary msgpack values, and accepts only those with a known type", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: false, withBigInt: false }), (value) => {
        let bytes: Uint8Array;
        try {
          bytes = raw(value);
        } catch {
          return; // not every JS value packs; that is msgpackr's business, not the codec's
        }
        const outcome = decode(bytes);
        if (outcome.ok) expect(Object.keys(examples)).toContain(outcome.message.type);
        else expect(reasons).toContain(outcome.reason);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("decode is total", () => {
  it("rejects the 18-byte message whose type is an int64 (it used to throw building the detail)", () => {
    const bytes = new Uint8Array(Buffer.from("82a474797065d37fffffffffffffffa17601", "hex"));
    expect(bytes.length).toBe(18);
    expect(decode(bytes)).toEqual({ ok: false, reason: "unknown-type", detail: "unknown message type 9223372036854775807n" });
  });

  it("rejects an int64 version, a cycle through the structured-clone extension and nesting deeper than the stack", () => {
    expect(rejection(raw({ type: "credit", v: 2n ** 63n - 1n, consumer: 1, credits: 1 })).reason).toBe("wrong-version");
    expect(rejection(new Uint8Array(Buffer.from("c70069000000018100", "hex"))).reason).toBe("malformed");
    expect(rejection(new Uint8Array(200_000).fill(0x91)).reason).toBe("malformed");
  });
});
