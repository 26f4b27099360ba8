// Reading checkpoints from any process: a state handle's bytes and a location's metadata, both
// verified against their digests. Receives handles and location strings, plus a resolver with what
// `object-store://` (a NATS connection) and `memory://` (the job master's storage) need.

import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { BlobStore } from "./blob-store.ts";
import type { CheckpointMetadata, StateHandle } from "./checkpoint-metadata.ts";
import type { CheckpointResolver } from "./checkpoint-storage.ts";
import { CheckpointNotFoundError, CorruptCheckpointError } from "./checkpoint-errors.ts";
import { contentDigest } from "./content-digest.ts";
import { FileBlobStore } from "./file-blob-store.ts";
import { decodeMetadataEnvelope } from "./metadata-envelope.ts";
import { ObjectStoreBlobStore } from "./object-store-blob-store.ts";
import { parseLocation, type StorageLocation } from "./storage-location.ts";

const METADATA_FILE = "_metadata";

/**
 * The bytes a state handle stands for, checked against its size and digest.
 * @example
 * const bytes = await readState(subtask.handle, { nats: bus.connection });
 * @throws CorruptCheckpointError when the bytes do not match the handle; CheckpointNotFoundError when they are gone.
 */
export async function readState(handle: StateHandle, resolver: CheckpointResolver = {}): Promise<Uint8Array> {
  if (handle.kind === "inline") {
    verify(`inline state (${handle.bytes.byteLength} bytes)`, handle.bytes, handle.bytes.byteLength, handle.digest);
    return handle.bytes;
  }
  const location = parseLocation(handle.uri);
  if (location.kind === "memory") throw new Error(`state handle ${handle.uri} is not a blob URI: expected file:// or object-store://`);
  const { store, name } = await openBlob(location, handle.uri, resolver);
  const bytes = await store.get(name);
  if (!bytes) throw new CheckpointNotFoundError(handle.uri, "the state blob is missing");
  verify(handle.uri, bytes, handle.bytes, handle.digest);
  return bytes;
}

/**
 * Loads and verifies the metadata at a location: a checkpoint folder or a savepoint directory, its
 * `_metadata` file, or a `memory://` location of the job master's storage.
 * @example
 * const metadata = await loadMetadata("file:///savepoints/sp-1");
 * @throws CheckpointNotFoundError, CorruptCheckpointError or UnsupportedCheckpointFormatError, each naming the location.
 */
export async function loadMetadata(location: string, resolver: CheckpointResolver = {}): Promise<CheckpointMetadata> {
  const parsed = parseLocation(location);
  if (parsed.kind === "memory") {
    if (!resolver.memory) throw new Error(`${location} lives in the job master's memory: pass its checkpoint storage as { memory }`);
    const record = resolver.memory.metadataRecord(parsed.jobId, parsed.checkpointId);
    if (!record) throw new CheckpointNotFoundError(location, "the job master holds no such checkpoint (jobmanager storage keeps checkpoints in memory only)");
    return decodeMetadataEnvelope(record, location);
  }
  const metadataLocation = await metadataLocationOf(parsed);
  const { store, name } = await openBlob(metadataLocation, location, resolver);
  const bytes = await store.get(name);
  if (!bytes) throw new CheckpointNotFoundError(location, `there is no ${METADATA_FILE} (${store.uri(name)})`);
  return decodeMetadataEnvelope(bytes, location);
}

/** A checkpoint folder or savepoint directory means its `_metadata`; the `_metadata` itself is fine too. */
async function metadataLocationOf(location: Exclude<StorageLocation, { kind: "memory" }>): Promise<Exclude<StorageLocation, { kind: "memory" }>> {
  if (location.kind === "object-store") {
    return location.name.endsWith(`/${METADATA_FILE}`) ? location : { ...location, name: `${location.name.replace(/\/$/, "")}/${METADATA_FILE}` };
  }
  if (basename(location.path) === METADATA_FILE) return location;
  const isDirectory = await stat(location.path).then((s) => s.isDirectory(), () => false);
  return isDirectory ? { kind: "file", path: join(location.path, METADATA_FILE) } : location;
}

async function openBlob(location: Exclude<StorageLocation, { kind: "memory" }>, original: string, resolver: CheckpointResolver): Promise<{ store: BlobStore; name: string }> {
  if (location.kind === "file") return { store: new FileBlobStore(dirname(location.path)), name: basename(location.path) };
  if (!resolver.nats) throw new Error(`reading ${original} needs a NATS connection to the cluster: pass { nats } (NatsBus exposes its connection)`);
  return { store: await ObjectStoreBlobStore.open(resolver.nats, location.bucket, "existing"), name: location.name };
}

function verify(what: string, bytes: Uint8Array, expectedBytes: number, expectedDigest: string): void {
  if (bytes.byteLength !== expectedBytes) throw new CorruptCheckpointError(what, `${bytes.byteLength} bytes where the handle says ${expectedBytes}`);
  const actual = contentDigest(bytes);
  if (actual !== expectedDigest) throw new CorruptCheckpointError(what, `digest ${actual} does not match the handle's ${expectedDigest}`);
}
