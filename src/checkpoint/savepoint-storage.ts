// Savepoints go to a directory the user names: `<dir>/<name>.state` per subtask and `<dir>/_metadata`.
// Receives snapshot bytes and the completed metadata; writes files, never over an existing savepoint.
// Read back with `loadMetadata(dir)` (or `dir/_metadata`) and `readState(handle)`.

import { isAbsolute } from "node:path";
import type { CheckpointMetadata, StateHandle } from "./checkpoint-metadata.ts";
import type { StateWriter } from "./checkpoint-storage.ts";
import { stateFileName } from "./checkpoint-layout.ts";
import { contentDigest } from "./content-digest.ts";
import { FileBlobStore } from "./file-blob-store.ts";
import { encodeMetadataEnvelope, METADATA_FORMAT } from "./metadata-envelope.ts";
import { fileUri, parseLocation } from "./storage-location.ts";

/** A savepoint directory: workers write state into it; the job master then commits the metadata. */
export interface SavepointStorage extends StateWriter {
  /** The absolute directory. */
  readonly dir: string;
  /** Writes `_metadata` (refusing to replace one) and returns the directory's `file://` URI. */
  commit(metadata: CheckpointMetadata): Promise<string>;
}

/**
 * Opens a savepoint directory (an absolute path or a `file://` URI) that every worker can reach.
 * @example
 * const savepoint = savepointStorage("/var/weir/savepoints/before-upgrade");
 * const handle = await savepoint.writeState(jobId, 12, "map-0", bytes); // file:///var/weir/savepoints/before-upgrade/map-0.state
 */
export function savepointStorage(dir: string): SavepointStorage {
  const path = savepointDirectory(dir);
  const files = new FileBlobStore(path);
  return {
    dir: path,
    async writeState(_jobId: string, _checkpointId: number, name: string, bytes: Uint8Array): Promise<StateHandle> {
      const file = stateFileName(name);
      await files.put(file, bytes);
      return { kind: "blob", uri: files.uri(file), bytes: bytes.byteLength, digest: contentDigest(bytes) };
    },
    commit: (metadata) => writeSavepointMetadata(path, metadata),
  };
}

/**
 * Writes a savepoint's `_metadata` into `dir`; refuses a directory that already holds a savepoint.
 * @example
 * const location = await writeSavepointMetadata("/var/weir/savepoints/sp-1", metadata); // "file:///var/weir/savepoints/sp-1"
 */
export async function writeSavepointMetadata(dir: string, metadata: CheckpointMetadata): Promise<string> {
  const path = savepointDirectory(dir);
  const outcome = await new FileBlobStore(path).putNew("_metadata", encodeMetadataEnvelope({ ...metadata, format: METADATA_FORMAT }));
  if (outcome === "exists") throw new Error(`savepoint directory ${path} already holds a savepoint (_metadata): choose a new directory`);
  return fileUri(path);
}

function savepointDirectory(dir: string): string {
  const location = dir.startsWith("file:") ? parseLocation(dir) : undefined;
  const path = location?.kind === "file" ? location.path : dir;
  if (!isAbsolute(path)) throw new Error(`savepoint directory ${JSON.stringify(dir)} must be absolute (every worker resolves it): write /abs/dir or file:///abs/dir`);
  return path;
}
