// The strings that point at checkpoint data from any process: `file:///abs/path` (or `/abs/path`),
// `object-store://<bucket>/<object-name>` and `memory://<jobId>/chk-<id>` (the job master's memory).
// Pure: builds and parses them; an unknown form throws an Error that lists the known ones.

import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export type StorageLocation =
  | { kind: "file"; path: string }
  | { kind: "object-store"; bucket: string; name: string }
  | { kind: "memory"; jobId: string; checkpointId: number };

/**
 * The URI of object `name` in bucket `bucket`; each `/`-separated part is percent-encoded.
 * @example
 * objectStoreUri("chk", "job-1/chk-3/map-0.state"); // "object-store://chk/job-1/chk-3/map-0.state"
 */
export function objectStoreUri(bucket: string, name: string): string {
  return `object-store://${bucket}/${name.split("/").map(encodeURIComponent).join("/")}`;
}

/** The `file://` URI of an absolute path. */
export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

/** The location of a checkpoint kept in the job master's memory. */
export function memoryLocation(jobId: string, checkpointId: number): string {
  return `memory://${encodeURIComponent(jobId)}/chk-${checkpointId}`;
}

/**
 * Parses a location string.
 * @example
 * parseLocation("object-store://chk/job-1/chk-3"); // { kind: "object-store", bucket: "chk", name: "job-1/chk-3" }
 * parseLocation("/data/savepoints/sp-1");         // { kind: "file", path: "/data/savepoints/sp-1" }
 */
export function parseLocation(location: string): StorageLocation {
  if (location.startsWith("file://")) {
    try {
      return { kind: "file", path: fileURLToPath(location) };
    } catch (error) {
      throw new Error(`${JSON.stringify(location)} is not a valid file URI (${(error as Error).message}): write file:///absolute/path`);
    }
  }
  if (isAbsolute(location)) return { kind: "file", path: location };
  const objectStore = /^object-store:\/\/([-\w]+)\/(.+)$/.exec(location);
  if (objectStore) return { kind: "object-store", bucket: objectStore[1], name: objectStore[2].split("/").map(decodeURIComponent).join("/") };
  const memory = /^memory:\/\/([^/]+)\/chk-(\d+)$/.exec(location);
  if (memory) return { kind: "memory", jobId: decodeURIComponent(memory[1]), checkpointId: Number(memory[2]) };
  throw new Error(
    `${JSON.stringify(location)} is not a checkpoint location: expected file:///absolute/path, an absolute path, ` +
      `object-store://<bucket>/<object-name> or memory://<jobId>/chk-<id>`,
  );
}
