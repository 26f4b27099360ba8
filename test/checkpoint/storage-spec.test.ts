// Checkpoint storage specs as users write them, and the inline (jobmanager) size limit: pure, no I/O.

import { describe, expect, it } from "vitest";
import { formatCheckpointStorage, inlineStateFit, MAX_INLINE_STATE_BYTES, parseCheckpointStorage } from "../../src/checkpoint/index.ts";

describe("a checkpoint storage spec", () => {
  it("names jobmanager, a directory (file URI or absolute path) or an object store bucket", () => {
    expect(parseCheckpointStorage("jobmanager")).toEqual({ kind: "jobmanager" });
    expect(parseCheckpointStorage(" file:///var/weir/chk/ ")).toEqual({ kind: "directory", path: "/var/weir/chk" });
    expect(parseCheckpointStorage("/var/weir//chk")).toEqual({ kind: "directory", path: "/var/weir/chk" });
    expect(parseCheckpointStorage("file:///data/with%20space")).toEqual({ kind: "directory", path: "/data/with space" });
    expect(parseCheckpointStorage("object-store://weir_chk-1")).toEqual({ kind: "object-store", bucket: "weir_chk-1" });
  });

  it("is written back as the string it was read from", () => {
    for (const spec of ["jobmanager", "file:///data/with%20space", "object-store://weir-chk"]) {
      expect(formatCheckpointStorage(parseCheckpointStorage(spec))).toBe(spec);
    }
  });

  it.each([
    ["", /checkpoint storage is empty: write 'jobmanager', 'file:\/\/\/absolute\/dir'/],
    ["./checkpoints", /is a relative path; a directory must be absolute, since workers run elsewhere: write 'jobmanager'/],
    ["file://checkpoints/x", /a file URI needs three slashes and an absolute path, as in 'file:\/\/\/var\/weir\/checkpoints'/],
    ["s3://bucket/chk", /'s3:' is not supported; write 'jobmanager', 'file:\/\/\/absolute\/dir' \(or '\/absolute\/dir'\) or 'object-store:\/\/<bucket>'/],
    ["object-store:weir", /write 'object-store:\/\/<bucket>', e\.g\. 'object-store:\/\/weir-checkpoints'/],
    ["object-store://weir/sub/dir", /give only a bucket, without a path: 'object-store:\/\/weir'/],
    ["object-store://weir.chk", /a bucket name uses letters, digits, '-' and '_' only/],
    ["object-store://", /a bucket name uses letters/],
  ])("refuses %j and says what to write instead", (spec, message) => {
    expect(() => parseCheckpointStorage(spec)).toThrow(message);
  });
});

describe("inline state (jobmanager storage)", () => {
  it("fits up to 768 KiB and beyond that says which storage to configure", () => {
    expect(MAX_INLINE_STATE_BYTES).toBe(768 * 1024);
    expect(inlineStateFit("v1-0", MAX_INLINE_STATE_BYTES)).toEqual({ kind: "fits" });
    const tooLarge = inlineStateFit("v1-0", MAX_INLINE_STATE_BYTES + 1);
    expect(tooLarge.kind).toBe("too-large");
    expect(tooLarge.kind === "too-large" && tooLarge.message).toBe(
      "the state of subtask v1-0 is 786433 bytes, more than jobmanager checkpoint storage carries inline (786432 bytes): " +
        "configure env.getCheckpointConfig().setCheckpointStorage('file:///…') with a directory every worker can reach, or 'object-store://…' for the NATS cluster's JetStream object store",
    );
  });
});
