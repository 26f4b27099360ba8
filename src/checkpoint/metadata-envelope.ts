// The bytes of a `_metadata` record: msgpack of `{ metadata, digest }`, where `metadata` is the
// msgpack of the CheckpointMetadata and `digest` its SHA-256, so the digest covers exact bytes.
// Pure: encodes metadata, and decodes bytes into an outcome (ok, corrupt or wrong format).

import { Packr } from "msgpackr";
import { compileCheck } from "../messages/schema-check.ts";
import { CheckpointMetadataSchema, type CheckpointMetadata, type StateHandle } from "./checkpoint-metadata.ts";
import { CorruptCheckpointError, UnsupportedCheckpointFormatError } from "./checkpoint-errors.ts";
import { contentDigest } from "./content-digest.ts";

/** The metadata format this weir writes and reads. */
export const METADATA_FORMAT = 1;

const packr = new Packr({ useRecords: false, moreTypes: false });

/** Compiled once: every restore and every listing of retained checkpoints reads metadata. */
const checkMetadata = compileCheck(CheckpointMetadataSchema);

/** What a `_metadata` record's bytes turned out to hold. */
export type MetadataReadOutcome =
  | { kind: "ok"; metadata: CheckpointMetadata }
  | { kind: "corrupt"; detail: string }
  | { kind: "wrong-format"; format: unknown };

/**
 * Encodes a completed checkpoint's metadata with its digest.
 * @example
 * await store.put("job-1/chk-3/_metadata", encodeMetadataEnvelope(metadata));
 */
export function encodeMetadataEnvelope(metadata: CheckpointMetadata): Uint8Array {
  const bytes = packr.pack(metadata);
  return packr.pack({ metadata: bytes, digest: contentDigest(bytes) });
}

/** Decodes a `_metadata` record: the digest first, then the format version, then the shape. */
export function readMetadataEnvelope(bytes: Uint8Array): MetadataReadOutcome {
  const envelope = unpack(bytes);
  if (envelope.kind === "corrupt") return envelope;
  const record = envelope.value;
  if (typeof record !== "object" || record === null || !(record.metadata instanceof Uint8Array) || typeof record.digest !== "string") {
    return { kind: "corrupt", detail: "not a metadata record ({ metadata, digest })" };
  }
  const actual = contentDigest(record.metadata);
  if (actual !== record.digest) return { kind: "corrupt", detail: `metadata digest ${actual} does not match the recorded ${record.digest}` };
  const decoded = unpack(record.metadata);
  if (decoded.kind === "corrupt") return decoded;
  const metadata = decoded.value;
  const format = typeof metadata === "object" && metadata !== null ? metadata.format : undefined;
  if (format !== METADATA_FORMAT) return { kind: "wrong-format", format };
  const problem = checkMetadata(metadata);
  if (problem) return { kind: "corrupt", detail: `metadata does not have the expected shape (${problem})` };
  return { kind: "ok", metadata: withPlainInlineBytes(metadata as unknown as CheckpointMetadata) };
}

/**
 * Decodes a `_metadata` record or throws a CorruptCheckpointError / UnsupportedCheckpointFormatError
 * naming `location`.
 * @example
 * const metadata = decodeMetadataEnvelope(bytes, "file:///data/chk/job-1/chk-3");
 */
export function decodeMetadataEnvelope(bytes: Uint8Array, location: string): CheckpointMetadata {
  const outcome = readMetadataEnvelope(bytes);
  switch (outcome.kind) {
    case "ok":
      return outcome.metadata;
    case "corrupt":
      throw new CorruptCheckpointError(location, outcome.detail);
    case "wrong-format":
      throw new UnsupportedCheckpointFormatError(location, outcome.format, METADATA_FORMAT);
  }
}

type Unpacked = { kind: "value"; value: Record<string, unknown> | null } | { kind: "corrupt"; detail: string };

function unpack(bytes: Uint8Array): Unpacked {
  try {
    const value: unknown = packr.unpack(bytes);
    return { kind: "value", value: typeof value === "object" ? (value as Record<string, unknown> | null) : null };
  } catch (error) {
    return { kind: "corrupt", detail: `cannot decode msgpack (${(error as Error).message})` };
  }
}

/** msgpack decodes bytes as Node Buffers; inline handles hand out plain Uint8Array views instead. */
function withPlainInlineBytes(metadata: CheckpointMetadata): CheckpointMetadata {
  const plain = (handle: StateHandle): StateHandle => {
    if (handle.kind !== "inline") return handle;
    return { ...handle, bytes: new Uint8Array(handle.bytes.buffer, handle.bytes.byteOffset, handle.bytes.byteLength) };
  };
  return { ...metadata, subtasks: metadata.subtasks.map((s) => (s.handle ? { ...s, handle: plain(s.handle) } : s)) };
}
