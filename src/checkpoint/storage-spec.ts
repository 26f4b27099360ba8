// Where checkpoints go, as the user writes it: "jobmanager", "file:///abs/dir" (or an absolute
// path) or "object-store://<bucket>". Pure: receives the spec string, returns a tagged spec or
// throws an Error that says what to write instead; also the size limit of inline (jobmanager) state.

import { posix } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** A parsed checkpoint storage setting. */
export type CheckpointStorageSpec =
  /** State travels inline in the acks and the job master keeps completed checkpoints in memory. */
  | { kind: "jobmanager" }
  /** A directory every worker and the job manager can reach (a shared or local disk). */
  | { kind: "directory"; path: string }
  /** A JetStream Object Store bucket on the cluster's NATS servers. */
  | { kind: "object-store"; bucket: string };

/** The spec used when none is configured (Flink's JobManagerCheckpointStorage). */
export const DEFAULT_CHECKPOINT_STORAGE = "jobmanager";

/** The most one subtask's snapshot may weigh with jobmanager storage: its ack must stay under NATS's 1 MiB payload. */
export const MAX_INLINE_STATE_BYTES = 768 * 1024;

const WHAT_TO_WRITE = "write 'jobmanager', 'file:///absolute/dir' (or '/absolute/dir') or 'object-store://<bucket>'";
/** JetStream's own rule for bucket names. */
const BUCKET_NAME = /^[-\w]+$/;

/**
 * Parses a checkpoint storage spec; throws an Error that says what to write instead.
 * @example
 * parseCheckpointStorage("jobmanager");              // { kind: "jobmanager" }
 * parseCheckpointStorage("file:///var/weir/chk");   // { kind: "directory", path: "/var/weir/chk" }
 * parseCheckpointStorage("object-store://weir-chk"); // { kind: "object-store", bucket: "weir-chk" }
 */
export function parseCheckpointStorage(spec: string): CheckpointStorageSpec {
  const text = spec.trim();
  if (text === "") throw new Error(`checkpoint storage is empty: ${WHAT_TO_WRITE}`);
  if (text === "jobmanager") return { kind: "jobmanager" };
  if (text.startsWith("file:")) return { kind: "directory", path: parseFileUri(text) };
  if (text.startsWith("object-store:")) return { kind: "object-store", bucket: parseBucket(text) };
  if (text.startsWith("/")) return { kind: "directory", path: normalizeDirectory(text) };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1];
  if (scheme) throw new Error(`checkpoint storage ${JSON.stringify(spec)}: '${scheme}:' is not supported; ${WHAT_TO_WRITE}`);
  throw new Error(`checkpoint storage ${JSON.stringify(spec)} is a relative path; a directory must be absolute, since workers run elsewhere: ${WHAT_TO_WRITE}`);
}

/**
 * Writes a spec back as the string `parseCheckpointStorage` reads.
 * @example
 * formatCheckpointStorage({ kind: "directory", path: "/data/chk" }); // "file:///data/chk"
 */
export function formatCheckpointStorage(spec: CheckpointStorageSpec): string {
  switch (spec.kind) {
    case "jobmanager":
      return "jobmanager";
    case "directory":
      return pathToFileURL(spec.path).href;
    case "object-store":
      return `object-store://${spec.bucket}`;
  }
}

/** Whether a subtask's snapshot can travel inline, and if not, the message that says what to configure. */
export type InlineStateFit = { kind: "fits" } | { kind: "too-large"; message: string };

/**
 * Decides whether `bytes` of state for subtask `name` fit in an ack (jobmanager storage).
 * @example
 * const fit = inlineStateFit("map-1-0", snapshot.byteLength);
 * if (fit.kind === "too-large") throw new Error(fit.message);
 */
export function inlineStateFit(name: string, bytes: number): InlineStateFit {
  if (bytes <= MAX_INLINE_STATE_BYTES) return { kind: "fits" };
  return {
    kind: "too-large",
    message:
      `the state of subtask ${name} is ${bytes} bytes, more than jobmanager checkpoint storage carries inline ` +
      `(${MAX_INLINE_STATE_BYTES} bytes): configure env.getCheckpointConfig().setCheckpointStorage('file:///…') with a directory every ` +
      `worker can reach, or 'object-store://…' for the NATS cluster's JetStream object store`,
  };
}

function parseFileUri(text: string): string {
  if (!text.startsWith("file:///")) {
    throw new Error(`checkpoint storage ${JSON.stringify(text)}: a file URI needs three slashes and an absolute path, as in 'file:///var/weir/checkpoints'`);
  }
  try {
    return normalizeDirectory(fileURLToPath(text));
  } catch (error) {
    throw new Error(`checkpoint storage ${JSON.stringify(text)} is not a valid file URI (${(error as Error).message}): write e.g. 'file:///var/weir/checkpoints'`);
  }
}

function parseBucket(text: string): string {
  const rest = text.slice("object-store:".length);
  if (!rest.startsWith("//")) throw new Error(`checkpoint storage ${JSON.stringify(text)}: write 'object-store://<bucket>', e.g. 'object-store://weir-checkpoints'`);
  const bucket = rest.slice(2).replace(/\/$/, "");
  if (bucket.includes("/")) throw new Error(`checkpoint storage ${JSON.stringify(text)}: give only a bucket, without a path: 'object-store://${bucket.split("/")[0]}'`);
  if (!BUCKET_NAME.test(bucket)) {
    throw new Error(`checkpoint storage ${JSON.stringify(text)}: a bucket name uses letters, digits, '-' and '_' only, e.g. 'object-store://weir-checkpoints'`);
  }
  return bucket;
}

function normalizeDirectory(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/$/, "") : normalized;
}
