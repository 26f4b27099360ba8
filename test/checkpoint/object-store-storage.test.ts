// JetStream object store checkpoint storage against a real nats-server with JetStream: the shared
// storage behaviour, plus what needs a NATS connection and what happens without one.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.ts";
import { CheckpointNotFoundError, ObjectStoreCheckpointStorage, loadMetadata, openCheckpointStorage, readState, type CheckpointStorage } from "../../src/checkpoint/index.ts";
import { describeDurableStorage, metadataFor, type RawBlobs } from "./storage-contract.ts";

let server: NatsServerHandle;
let nats: NatsConnection;
let bucketCount = 0;
const storages: { storage: CheckpointStorage; bucket: string }[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nats = await connect({ servers: server.url });
  // Every test of the shared behaviour gets its own bucket, opened (and created) up front.
  for (let i = 0; i < 20; i++) {
    const bucket = `chk-${i}`;
    storages.push({ storage: await ObjectStoreCheckpointStorage.open(nats, bucket), bucket });
  }
});

afterAll(async () => {
  await nats?.close();
  await server?.stop();
});

function rawObjects(store: Promise<ObjectStore>): RawBlobs {
  return {
    read: async (name) => (await (await store).getBlob(name)) ?? undefined,
    overwrite: async (name, bytes) => void (await (await store).putBlob({ name }, bytes)),
    remove: async (name) => void (await (await store).delete(name)),
    names: async (jobId) =>
      (await (await store).list())
        .filter((info) => !info.deleted && info.name.startsWith(`${jobId}/`))
        .map((info) => info.name)
        .sort(),
  };
}

describeDurableStorage("object store checkpoint storage", () => {
  const { storage, bucket } = storages[bucketCount++];
  return { storage, raw: rawObjects(new Objm(nats).open(bucket)), resolver: { nats }, scheme: "object-store://" };
});

describe("object store checkpoint storage and NATS", () => {
  it("is opened from its spec with a NATS connection, creating the bucket, and refused without one", async () => {
    await expect(openCheckpointStorage("object-store://weir-fresh")).rejects.toThrow(
      "object-store checkpoint storage needs a NATS cluster (run with --nats nats://host:4222), or use 'file:///…' or 'jobmanager'",
    );
    const storage = await openCheckpointStorage("object-store://weir-fresh", { nats });
    expect(storage.spec).toEqual({ kind: "object-store", bucket: "weir-fresh" });
    expect((await new Objm(nats).open("weir-fresh").then((s) => s.status())).bucket).toBe("weir-fresh");
    expect(await storage.latest("job-1")).toBeUndefined();
    const handle = await storage.writeState("job-1", 1, "v1-0", new Uint8Array([9, 8, 7]));
    expect(handle).toMatchObject({ kind: "blob", uri: "object-store://weir-fresh/job-1/chk-1/v1-0.state" });
    const location = await storage.commit(metadataFor("job-1", 1, [handle]));
    expect(location).toBe("object-store://weir-fresh/job-1/chk-1");
  });

  it("needs the NATS connection passed in to read object-store handles and locations", async () => {
    const storage = await openCheckpointStorage("object-store://weir-reader", { nats });
    const handle = await storage.writeState("job-1", 1, "v1-0", new Uint8Array([1]));
    const location = await storage.commit(metadataFor("job-1", 1, [handle]));
    await expect(readState(handle)).rejects.toThrow(/needs a NATS connection to the cluster: pass \{ nats \}/);
    await expect(loadMetadata(location)).rejects.toThrow(/needs a NATS connection/);
    expect(await readState(handle, { nats })).toEqual(new Uint8Array([1]));
  });

  it("says a handle's bucket does not exist", async () => {
    const handle = { kind: "blob" as const, uri: "object-store://no-such-bucket/job/chk-1/x.state", bytes: 1, digest: "sha256:00" };
    const error = await readState(handle, { nats }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointNotFoundError);
    expect((error as Error).message).toMatch(/object-store:\/\/no-such-bucket: the JetStream object store bucket does not exist/);
  });
});
