// The fuzzer's seeds: one valid sample per message type, for every type the codec knows — a new
// message type without a sample fails here — and each sample decodes as itself.

import { describe, expect, it } from "vitest";
import { decode, encodeVersioned } from "../../src/messages/codec.ts";
import { MESSAGE_SCHEMAS } from "../../src/messages/schema.ts";
import { SAMPLE_TYPES, SAMPLES } from "./samples.ts";

describe("fuzz samples", () => {
  it("cover every message type of the schema", () => {
    expect([...SAMPLE_TYPES].sort()).toEqual(Object.keys(MESSAGE_SCHEMAS).sort());
  });

  it.each(SAMPLE_TYPES)("the %s sample is valid and decodes to itself", (type) => {
    const outcome = decode(encodeVersioned(SAMPLES[type]), [type]);
    expect(outcome).toEqual({ ok: true, message: SAMPLES[type] });
  });
});
