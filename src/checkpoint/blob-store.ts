// The seam between checkpoint layout and bytes at rest: a directory or a JetStream object store
// bucket, addressed by `/`-separated names. Receives names and bytes; returns bytes, names and URIs.

/** Named bytes in one directory or bucket. */
export interface BlobStore {
  /** The URI of blob `name`, resolvable by any process (a `file://` or `object-store://` URI). */
  uri(name: string): string;
  /** Stores `bytes` as `name`, replacing what was there: readers see the old bytes or the new, never a part. */
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The bytes stored as `name`, or undefined when there are none. */
  get(name: string): Promise<Uint8Array | undefined>;
  /** Deletes blob `name`; a missing blob is fine. */
  delete(name: string): Promise<void>;
  /** The names of all blobs under folder `folder` (no trailing slash), at any depth. */
  list(folder: string): Promise<string[]>;
  /** Deletes every blob under folder `folder`; an empty or missing folder is fine. */
  deleteFolder(folder: string): Promise<void>;
}
