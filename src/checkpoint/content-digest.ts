// The one digest of checkpoint bytes: SHA-256, written "sha256:<hex>" so a reader sees the algorithm.
// Receives bytes, returns the digest string; used for state handles and for `_metadata` records.

import { createHash } from "node:crypto";

/**
 * The SHA-256 digest of `bytes`, as stored in state handles and metadata records.
 * @example
 * contentDigest(new TextEncoder().encode("abc")); // "sha256:ba7816bf…"
 */
export function contentDigest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
