// The structure scan before decoding: nesting is bounded by the bytes alone, and the extensions that
// read further items or carry decoder state are refused. Includes the frame that once decoded in a
// worker (its msgpackr code optimized, so the recursion fit the stack) but not in the process that
// sent it, making one stranger's frame pass as a producer's first frame.

import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decode, encode, encodeVersioned } from "../../src/messages/codec.ts";
import { MAX_NESTING, structureProblem } from "../../src/messages/msgpack-structure.ts";
import { RawMsgpack } from "../fuzz/hostile-values.ts";
import { packWithRaw } from "../fuzz/mutators.ts";
import { SAMPLES } from "../fuzz/samples.ts";

function nestedArrays(depth: number): Uint8Array {
  const bytes = new Uint8Array(depth + 1).fill(0x91);
  bytes[depth] = 0xc0;
  return bytes;
}

function nestedMaps(depth: number): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < depth; i++) bytes.push(0x81, 0xa1, 0x61);
  bytes.push(0xc0);
  return Uint8Array.from(bytes);
}

describe("the structure scan", () => {
  it("lets nesting up to the limit through and refuses one level more, for arrays and maps alike", () => {
    expect(structureProblem(nestedArrays(MAX_NESTING))).toBeUndefined();
    expect(structureProblem(nestedArrays(MAX_NESTING + 1))).toBe(`containers nest deeper than ${MAX_NESTING}`);
    expect(structureProblem(nestedMaps(MAX_NESTING))).toBeUndefined();
    expect(structureProblem(nestedMaps(MAX_NESTING + 1))).toBe(`containers nest deeper than ${MAX_NESTING}`);
    // Wide is not deep: 10,000 siblings in one array.
    expect(structureProblem(new Packr({ useRecords: false }).pack(Array.from({ length: 10_000 }, (_, i) => [i, { a: [i] }])))).toBeUndefined();
  });

  it("skips over strings, binaries and numbers whatever bytes they hold", () => {
    const value = { s: "\u0091".repeat(2000), b: new Uint8Array(3000).fill(0x91), n: [1.5, -7, 2 ** 40, 2n ** 63n - 1n] };
    expect(structureProblem(new Packr({ useRecords: false }).pack(value))).toBeUndefined();
  });

  it.each([0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x78].map((type) => ({ type, hex: type.toString(16) })))("refuses extension type 0x$hex (it reads further items or carries decoder state)", ({ type }) => {
    expect(structureProblem(Uint8Array.from([0xd4, type, 0x00, 0x91, 0x01]))).toBe(`extension type 0x${type.toString(16)} is not accepted on the bus`);
    expect(structureProblem(Uint8Array.from([0xc7, 0x01, type, 0x00]))).toBe(`extension type 0x${type.toString(16)} is not accepted on the bus`);
  });

  it("lets timestamps through, as weir's encoder writes them", () => {
    expect(structureProblem(new Packr({ useRecords: false, moreTypes: false }).pack({ at: new Date(5) }))).toBeUndefined();
    expect(decode(encode({ ...SAMPLES.collect, records: [new Date(5)] }), ["collect"]).ok).toBe(true);
  });

  it("never throws on truncated or lying headers, leaving them to the decoder", () => {
    for (const bytes of [[0xdc], [0xdd, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xff], [0xc7], [0xd4], [0xdf, 0xff, 0xff, 0xff, 0xff], []]) {
      expect(structureProblem(Uint8Array.from(bytes))).toBeUndefined();
    }
  });

  it("passes every real message type", () => {
    for (const message of Object.values(SAMPLES)) expect(structureProblem(encodeVersioned(message))).toBeUndefined();
  });
});

describe("the frame that decoded in one process and not in another", () => {
  // The fuzzed frame seen on a live cluster: the sample frame (seq 1, producer 0) whose barrier
  // element gained a field holding arrays nested 6,832 deep.
  const frame = structuredClone(SAMPLES.frame) as unknown as { elements: Record<string, unknown>[] };
  frame.elements[4].v = new RawMsgpack(nestedArrays(6832));
  const bytes = packWithRaw(frame);

  it("is rejected as malformed by its nesting, before any decoding", () => {
    expect(decode(bytes, ["frame"])).toEqual({ ok: false, reason: "malformed", detail: `containers nest deeper than ${MAX_NESTING}` });
  });

  it("is rejected the same way after the decoder has been optimized by heavy use", () => {
    const ordinary = encodeVersioned(SAMPLES.frame);
    for (let i = 0; i < 20_000; i++) decode(ordinary, ["frame"]);
    expect(decode(bytes, ["frame"])).toEqual({ ok: false, reason: "malformed", detail: `containers nest deeper than ${MAX_NESTING}` });
  });
});
