// A BlobStore in a JetStream Object Store bucket (@nats-io/obj): blob `a/b/c` is the object of that
// name, visible only once all its chunks are in, so never seen in part. Receives a NATS connection it
// does not own; uses only what nats-server 2.9 offers (no compression, no metadata, no TTLs).

import { createBucket } from "../bus/bucket-replicas.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { BlobStore } from "./blob-store.ts";
import { CheckpointNotFoundError } from "./checkpoint-errors.ts";
import { objectStoreUri } from "./storage-location.ts";

export class ObjectStoreBlobStore implements BlobStore {
  private constructor(
    readonly bucket: string,
    private readonly store: ObjectStore,
  ) {}

  /**
   * Opens bucket `bucket`, creating it when `create` says so (idempotent: every process may call it).
   * @example
   * const blobs = await ObjectStoreBlobStore.open(bus.connection, "weir-checkpoints", "create");
   */
  static async open(nats: NatsConnection, bucket: string, mode: "create" | "existing"): Promise<ObjectStoreBlobStore> {
    const objm = new Objm(nats);
    if (mode === "create") return new ObjectStoreBlobStore(bucket, await createBucket(nats, (replicas) => objm.create(bucket, { description: "weir checkpoints", replicas }), () => objm.open(bucket)));
    try {
      return new ObjectStoreBlobStore(bucket, await objm.open(bucket));
    } catch (error) {
      if ((error as Error).message === "object store not found") {
        throw new CheckpointNotFoundError(`object-store://${bucket}`, "the JetStream object store bucket does not exist");
      }
      throw error;
    }
  }

  uri(name: string): string {
    return objectStoreUri(this.bucket, name);
  }

  async put(name: string, bytes: Uint8Array): Promise<void> {
    await this.store.putBlob({ name }, bytes);
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    const bytes = await this.store.getBlob(name);
    // Small objects come back as Node Buffers; hand out plain Uint8Array views like the other stores.
    return bytes ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined;
  }

  async delete(name: string): Promise<void> {
    // A missing object answers { success: false }: nothing to do.
    await this.store.delete(name);
  }

  async list(folder: string): Promise<string[]> {
    const prefix = `${folder}/`;
    const infos = await this.store.list();
    return infos.filter((info) => !info.deleted && info.name.startsWith(prefix)).map((info) => info.name);
  }

  async deleteFolder(folder: string): Promise<void> {
    for (const name of await this.list(folder)) await this.store.delete(name);
  }
}
