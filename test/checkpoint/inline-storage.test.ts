// jobmanager checkpoint storage: state travels inline in acks and completed checkpoints stay in
// the job master's memory, readable through memory:// locations when the storage is passed in.

import { describe, expect, it } from "vitest";
import {
  contentDigest,
  CorruptCheckpointError,
  InlineCheckpointStorage,
  InlineStateTooLargeError,
  loadMetadata,
  MAX_INLINE_STATE_BYTES,
  openCheckpointStorage,
  readState,
} from "../../src/checkpoint/index.ts";
import { metadataFor } from "./storage-contract.ts";

describe("jobmanager (inline) checkpoint storage", () => {
  it("is the storage the 'jobmanager' spec opens", async () => {
    const storage = await openCheckpointStorage("jobmanager");
    expect(storage).toBeInstanceOf(InlineCheckpointStorage);
    expect(storage.spec).toEqual({ kind: "jobmanager" });
  });

  it("returns the state itself as the handle, with its digest, and reads it back verified", async () => {
    const storage = new InlineCheckpointStorage();
    const bytes = new Uint8Array([5, 6, 7]);
    const handle = await storage.writeState("job-1", 1, "v1-0", bytes);
    expect(handle).toEqual({ kind: "inline", bytes, digest: contentDigest(bytes) });
    expect(await readState(handle)).toEqual(bytes);
    const tampered = { kind: "inline" as const, bytes: new Uint8Array([5, 6, 8]), digest: handle.digest };
    await expect(readState(tampered)).rejects.toThrow(CorruptCheckpointError);
    await expect(readState(tampered)).rejects.toThrow(/inline state \(3 bytes\) is corrupt: digest/);
  });

  it("refuses state above the inline limit with the error that says which storage to configure", async () => {
    const storage = new InlineCheckpointStorage();
    expect((await storage.writeState("job-1", 1, "v1-0", new Uint8Array(MAX_INLINE_STATE_BYTES))).kind).toBe("inline");
    const error = await storage.writeState("job-1", 1, "v1-1", new Uint8Array(MAX_INLINE_STATE_BYTES + 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InlineStateTooLargeError);
    expect((error as Error).message).toMatch(/subtask v1-1 is 786433 bytes.*configure env\.getCheckpointConfig\(\)\.setCheckpointStorage\('file:\/\/\/…'\).*'object-store:\/\/…'/);
  });

  it("keeps committed checkpoints per job in memory; latest is the highest id, discard forgets one", async () => {
    const storage = new InlineCheckpointStorage();
    const handle = await storage.writeState("job-1", 1, "v1-0", new Uint8Array([1]));
    for (const id of [1, 3, 2]) expect(await storage.commit(metadataFor("job-1", id, [handle]))).toBe(`memory://job-1/chk-${id}`);
    await storage.commit(metadataFor("job-2", 9, [handle]));
    expect(await storage.latest("job-1")).toEqual({ location: "memory://job-1/chk-3", metadata: metadataFor("job-1", 3, [handle]) });
    await storage.discard("job-1", 3);
    await storage.discard("job-1", 42);
    expect((await storage.latest("job-1"))?.metadata.checkpointId).toBe(2);
    await storage.discard("job-1", 1);
    await storage.discard("job-1", 2);
    expect(await storage.latest("job-1")).toBeUndefined();
    expect((await storage.latest("job-2"))?.metadata.checkpointId).toBe(9);
  });

  it("resolves memory:// locations only through the storage passed in", async () => {
    const storage = new InlineCheckpointStorage();
    const handle = await storage.writeState("job-1", 4, "v1-0", new Uint8Array([1, 2]));
    const location = await storage.commit(metadataFor("job-1", 4, [handle]));
    const metadata = await loadMetadata(location, { memory: storage });
    expect(metadata).toEqual(metadataFor("job-1", 4, [handle]));
    expect(await readState(metadata.subtasks[0].handle!)).toEqual(new Uint8Array([1, 2]));
    await expect(loadMetadata(location)).rejects.toThrow("memory://job-1/chk-4 lives in the job master's memory: pass its checkpoint storage as { memory }");
    await expect(loadMetadata("memory://job-1/chk-5", { memory: storage })).rejects.toThrow(/no checkpoint at memory:\/\/job-1\/chk-5: the job master holds no such checkpoint/);
  });
});
