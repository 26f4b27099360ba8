// A `_metadata` record read back: checked against the checkpoint metadata schema, so a record that
// decodes but does not fit is corrupt, with the path of its first problem.

import { describe, expect, it } from "vitest";
import type { CheckpointMetadata } from "../../src/checkpoint/checkpoint-metadata.ts";
import { encodeMetadataEnvelope, readMetadataEnvelope } from "../../src/checkpoint/metadata-envelope.ts";
import { metadataFor } from "./storage-contract.ts";

const inline = { kind: "inline" as const, bytes: new Uint8Array([1, 2, 3]), digest: "ab" };

/** Encodes a record that may not fit the schema, as a faulty writer would. */
const encodeAnyway = (metadata: unknown) => encodeMetadataEnvelope(metadata as CheckpointMetadata);

describe("a metadata record", () => {
  it("round-trips with inline state as plain bytes and blob state as written", () => {
    const metadata = metadataFor("job-1", 3, [inline, { kind: "blob", uri: "file:///chk/job-1/chk-3/v1-1.state", bytes: 9, digest: "cd" }]);
    const outcome = readMetadataEnvelope(encodeMetadataEnvelope(metadata));
    expect(outcome).toEqual({ kind: "ok", metadata });
    expect(outcome.kind === "ok" && Object.getPrototypeOf(outcome.metadata.subtasks[0].handle?.bytes)).toBe(Uint8Array.prototype);
  });

  it.each<[string, unknown, string]>([
    ["inline state that is not bytes", metadataFor("job-1", 3, [{ ...inline, bytes: "AQID" } as never]), "$.subtasks[0].handle.bytes: expected bytes"],
    ["a fractional checkpoint id", { ...metadataFor("job-1", 3, []), checkpointId: 3.5 }, "$.checkpointId: expected an integer"],
    ["an unknown snapshot kind", { ...metadataFor("job-1", 3, []), kind: "backup" }, "$.kind: expected one of checkpoint|savepoint"],
    ["a handle of an unknown kind", metadataFor("job-1", 3, [{ kind: "tape" } as never]), "$.subtasks[0].handle.kind: expected one of inline|blob"],
  ])("with %s is corrupt, naming the path", (_, metadata, problem) => {
    expect(readMetadataEnvelope(encodeAnyway(metadata))).toEqual({ kind: "corrupt", detail: `metadata does not have the expected shape (${problem})` });
  });

  it("of another format is refused before its fields are checked", () => {
    expect(readMetadataEnvelope(encodeAnyway({ format: 2, anything: true }))).toEqual({ kind: "wrong-format", format: 2 });
  });
});
