// The bucket of job artifacts: a JetStream Object Store in which each bundle is the object named
// by its digest ("sha256:<hex>"). `weir run` uploads (once per digest), workers fetch, the job
// manager removes an artifact when the last job running it has ended. Receives a NATS connection
// it does not own; uses only what nats-server 2.9 offers.

import { createBucket } from "../bus/bucket-replicas.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { JobBundle } from "./job-bundle.ts";

/** The Object Store bucket that holds job artifacts. */
export const ARTIFACT_BUCKET = "weir-artifacts";

export class ArtifactStore {
  private constructor(private readonly store: ObjectStore | undefined) {}

  /**
   * Opens the artifact bucket; `create` makes it if missing (idempotent), `existing` finds none
   * when it is missing (every fetch answers undefined).
   * @example
   * const artifacts = await ArtifactStore.open(bus.connection, "create");
   */
  static async open(nats: NatsConnection, mode: "create" | "existing"): Promise<ArtifactStore> {
    const objm = new Objm(nats);
    if (mode === "create") return new ArtifactStore(await createBucket(nats, (replicas) => objm.create(ARTIFACT_BUCKET, { description: "weir job artifacts, named by their SHA-256", replicas }), () => objm.open(ARTIFACT_BUCKET)));
    try {
      return new ArtifactStore(await objm.open(ARTIFACT_BUCKET));
    } catch (error) {
      if ((error as Error).message === "object store not found") return new ArtifactStore(undefined);
      throw error;
    }
  }

  /** Stores `bundle` unless an intact copy is there already (same size, same digest recorded by the store). */
  async upload(bundle: JobBundle): Promise<"uploaded" | "present"> {
    const store = this.required();
    const info = await store.info(bundle.digest);
    if (info && !info.deleted && info.size === bundle.bytes.length && info.digest === objectStoreDigest(bundle.digest)) return "present";
    await store.putBlob({ name: bundle.digest }, bundle.bytes);
    return "uploaded";
  }

  /** The bytes stored under `digest` (not yet checked against it), or undefined if there are none. */
  async fetch(digest: string): Promise<Uint8Array | undefined> {
    if (!this.store) return undefined;
    const bytes = await this.store.getBlob(digest);
    return bytes ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined;
  }

  /** Removes the artifact `digest` (nothing happens if it is not there). */
  async remove(digest: string): Promise<void> {
    await this.store?.delete(digest);
  }

  private required(): ObjectStore {
    if (!this.store) throw new Error(`the JetStream object store bucket ${ARTIFACT_BUCKET} does not exist`);
    return this.store;
  }
}

/** How the object store writes a SHA-256 in an object's info: "SHA-256=" and padded base64url. */
function objectStoreDigest(digest: string): string {
  const base64 = Buffer.from(digest.slice("sha256:".length), "hex").toString("base64");
  return `SHA-256=${base64.replaceAll("+", "-").replaceAll("/", "_")}`;
}
