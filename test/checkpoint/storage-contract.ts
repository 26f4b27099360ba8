// The behaviour every durable checkpoint storage (a directory, a JetStream object store) must show:
// verified round trips, corruption and regression detection, discard and retention. Each suite
// passes a way to open the storage and raw access to its blobs, to tamper with them as a crash would.

import { describe, expect, it } from "vitest";
import {
  CheckpointNotFoundError,
  CheckpointRegressionError,
  contentDigest,
  CorruptCheckpointError,
  loadMetadata,
  retainCheckpoints,
  type KeptCheckpoint,
  readState,
  UnsupportedCheckpointFormatError,
  type CheckpointMetadata,
  type CheckpointResolver,
  type CheckpointStorage,
  type StateHandle,
} from "../../src/checkpoint/index.ts";
import { encodeMetadataEnvelope } from "../../src/checkpoint/metadata-envelope.ts";

/** Raw access to the blobs under the storage, by name (`job/chk-1/_metadata`). */
export interface RawBlobs {
  read(name: string): Promise<Uint8Array | undefined>;
  overwrite(name: string, bytes: Uint8Array): Promise<void>;
  remove(name: string): Promise<void>;
  /** Names under `job/`, sorted. */
  names(jobId: string): Promise<string[]>;
}

export interface StorageUnderTest {
  storage: CheckpointStorage;
  raw: RawBlobs;
  resolver: CheckpointResolver;
  /** The URI scheme its handles and locations use. */
  scheme: string;
}

export function metadataFor(jobId: string, checkpointId: number, handles: StateHandle[], epoch = 1): CheckpointMetadata {
  return {
    format: 1,
    kind: "checkpoint",
    jobId,
    jobName: `name of ${jobId}`,
    checkpointId,
    timestamp: 1_000 + checkpointId,
    epoch,
    operators: [{ uid: "map", name: "Map", parallelism: handles.length, maxParallelism: 128 }],
    subtasks: handles.map((handle, subtaskIndex) => ({ vertexId: "v1", subtaskIndex, operatorUids: ["map"], handle })),
  };
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** Writes one subtask's state for each id and commits it; returns the locations and handles by id. */
async function commitAll(storage: CheckpointStorage, jobId: string, ids: number[], epoch = 1) {
  const committed = new Map<number, { location: string; handle: StateHandle }>();
  for (const id of ids) {
    const handle = await storage.writeState(jobId, id, "v1-0", bytesOf(`state of ${jobId} at ${id}`));
    committed.set(id, { location: await storage.commit(metadataFor(jobId, id, [handle], epoch)), handle });
  }
  return committed;
}

export function describeDurableStorage(title: string, open: () => StorageUnderTest) {
  describe(title, () => {
    it("stores a subtask's state as a blob any process reads back through its handle, digest checked", async () => {
      const { storage, resolver, scheme } = open();
      const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) % 251);
      const handle = await storage.writeState("job-rt", 1, "v1-3", bytes);
      expect(handle).toEqual({ kind: "blob", uri: expect.stringMatching(new RegExp(`^${scheme}.*/job-rt/chk-1/v1-3\\.state$`)), bytes: bytes.length, digest: contentDigest(bytes) });
      const read = await readState(handle, resolver);
      // Compared by length and digest: a deep equality over 300,000 elements is needlessly slow.
      expect([read.constructor.name, read.byteLength, contentDigest(read)]).toEqual(["Uint8Array", bytes.byteLength, contentDigest(bytes)]);
    });

    it("refuses state whose bytes changed after the handle was made, naming the handle", async () => {
      const { storage, raw, resolver } = open();
      const handle = await storage.writeState("job-tamper", 1, "v1-0", bytesOf("original state"));
      await raw.overwrite("job-tamper/chk-1/v1-0.state", bytesOf("tampered state"));
      const error = await readState(handle, resolver).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptCheckpointError);
      expect((error as Error).message).toContain(handle.kind === "blob" ? handle.uri : "?");
      expect((error as Error).message).toMatch(/digest .* does not match/);
      await raw.overwrite("job-tamper/chk-1/v1-0.state", bytesOf("short"));
      await expect(readState(handle, resolver)).rejects.toThrow(/5 bytes where the handle says 14/);
    });

    it("says a state blob is missing rather than returning nothing", async () => {
      const { storage, raw, resolver } = open();
      const handle = await storage.writeState("job-gone", 1, "v1-0", bytesOf("x"));
      await raw.remove("job-gone/chk-1/v1-0.state");
      await expect(readState(handle, resolver)).rejects.toBeInstanceOf(CheckpointNotFoundError);
    });

    it("commits a checkpoint whose metadata loads back from its location, and is the latest", async () => {
      const { storage, raw, resolver, scheme } = open();
      const committed = await commitAll(storage, "job-commit", [1]);
      const { location, handle } = committed.get(1)!;
      expect(location).toMatch(new RegExp(`^${scheme}.*/job-commit/chk-1$`));
      const expected = metadataFor("job-commit", 1, [handle]);
      expect(await loadMetadata(location, resolver)).toEqual(expected);
      expect(await loadMetadata(`${location}/_metadata`, resolver)).toEqual(expected);
      expect(await storage.latest("job-commit")).toEqual({ location, metadata: expected });
      expect(new TextDecoder().decode(await raw.read("job-commit/_latest"))).toBe('{"checkpointId":1,"epoch":1}\n');
      expect(await storage.latest("job-never-ran")).toBeUndefined();
    });

    it("picks the highest committed id as latest, not a newer checkpoint still being written", async () => {
      const { storage } = open();
      await commitAll(storage, "job-latest", [1, 2, 3]);
      await storage.writeState("job-latest", 4, "v1-0", bytesOf("in flight"));
      const latest = await storage.latest("job-latest");
      expect(latest?.metadata.checkpointId).toBe(3);
      expect(latest?.location).toMatch(/\/job-latest\/chk-3$/);
    });

    it("keeps the checkpoints of different jobs apart", async () => {
      const { storage } = open();
      await commitAll(storage, "job-a", [5]);
      await commitAll(storage, "job-a-2", [9]);
      expect((await storage.latest("job-a"))?.metadata.checkpointId).toBe(5);
    });

    it("refuses tampered metadata with an error naming its location", async () => {
      const { storage, raw, resolver } = open();
      const committed = await commitAll(storage, "job-meta", [1, 2]);
      const record = (await raw.read("job-meta/chk-2/_metadata"))!;
      const flipped = record.slice();
      flipped[flipped.length - 10] ^= 0xff;
      await raw.overwrite("job-meta/chk-2/_metadata", flipped);
      const error = await loadMetadata(committed.get(2)!.location, resolver).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptCheckpointError);
      expect((error as Error).message).toContain(committed.get(2)!.location);
      // _latest says 2 was committed: falling back to 1 silently would be a regression.
      await expect(storage.latest("job-meta")).rejects.toThrow(/chk-2: corrupt _metadata/);
    });

    it("refuses metadata written in another format", async () => {
      const { storage, raw, resolver } = open();
      const committed = await commitAll(storage, "job-format", [1]);
      const future = { ...metadataFor("job-format", 1, [committed.get(1)!.handle]), format: 2 } as unknown as CheckpointMetadata;
      await raw.overwrite("job-format/chk-1/_metadata", encodeMetadataEnvelope(future));
      await expect(loadMetadata(committed.get(1)!.location, resolver)).rejects.toThrow(/has format 2, but this weir reads format 1/);
      await expect(storage.latest("job-format")).rejects.toBeInstanceOf(UnsupportedCheckpointFormatError);
    });

    it("says a location holds no checkpoint when its metadata is missing", async () => {
      const { storage, raw, resolver } = open();
      const committed = await commitAll(storage, "job-nometa", [1]);
      await raw.remove("job-nometa/chk-1/_metadata");
      await expect(loadMetadata(committed.get(1)!.location, resolver)).rejects.toThrow(CheckpointNotFoundError);
    });

    it("detects a regression when the newest checkpoint's _metadata vanished but _latest remains", async () => {
      const { storage, raw } = open();
      await commitAll(storage, "job-regress", [1, 2, 3]);
      await raw.remove("job-regress/chk-3/_metadata");
      const error = await storage.latest("job-regress").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointRegressionError);
      expect((error as Error).message).toMatch(/_latest says checkpoint 3 \(epoch 1\) was committed, but the newest valid one is checkpoint 2 \(unreadable: chk-3: no _metadata\)/);
      await raw.remove("job-regress/chk-2/_metadata");
      await raw.remove("job-regress/chk-1/_metadata");
      await expect(storage.latest("job-regress")).rejects.toThrow(/no checkpoint with valid metadata is left/);
    });

    it("fences a stale job master by epoch, on commit and on restore", async () => {
      const { storage, raw } = open();
      const committed = await commitAll(storage, "job-epoch", [1], 2);
      await expect(storage.commit(metadataFor("job-epoch", 2, [committed.get(1)!.handle], 1))).rejects.toThrow(/from epoch 1: a job master of epoch 2/);
      await expect(storage.commit(metadataFor("job-epoch", 1, [committed.get(1)!.handle], 3))).rejects.toThrow(/ids only grow/);
      await raw.overwrite("job-epoch/_latest", bytesOf('{"checkpointId":1,"epoch":3}'));
      const error = await storage.latest("job-epoch").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointRegressionError);
      expect((error as Error).message).toMatch(/written by a job master of epoch 2, but _latest records epoch 3/);
    });

    it("discards a checkpoint's state and metadata; discarding what is not there is fine", async () => {
      const { storage, raw, resolver } = open();
      const committed = await commitAll(storage, "job-discard", [1, 2]);
      await storage.writeState("job-discard", 3, "v1-0", bytesOf("aborted"));
      await storage.discard("job-discard", 1);
      await storage.discard("job-discard", 3);
      await storage.discard("job-discard", 3);
      await storage.discard("job-discard", 99);
      await expect(loadMetadata(committed.get(1)!.location, resolver)).rejects.toThrow(CheckpointNotFoundError);
      await expect(readState(committed.get(1)!.handle, resolver)).rejects.toThrow(CheckpointNotFoundError);
      expect(await raw.names("job-discard")).toEqual(["job-discard/_latest", "job-discard/chk-2/_metadata", "job-discard/chk-2/v1-0.state"]);
      expect((await storage.latest("job-discard"))?.metadata.checkpointId).toBe(2);
    });

    it("lowers _latest when the latest checkpoint itself is discarded", async () => {
      const { storage, raw } = open();
      await commitAll(storage, "job-lower", [1, 2], 4);
      await storage.discard("job-lower", 2);
      expect((await storage.latest("job-lower"))?.metadata.checkpointId).toBe(1);
      expect(new TextDecoder().decode(await raw.read("job-lower/_latest"))).toBe('{"checkpointId":1,"epoch":4}\n');
      await storage.discard("job-lower", 1);
      expect(await raw.read("job-lower/_latest")).toBeUndefined();
      expect(await storage.latest("job-lower")).toBeUndefined();
    });

    it("keeps only the retained checkpoints when each completion discards what retention names", async () => {
      const { storage, raw } = open();
      let kept: KeptCheckpoint[] = [];
      for (const id of [1, 2, 4, 5]) {
        await commitAll(storage, "job-retain", [id]);
        const step = retainCheckpoints(kept, { id, references: [] }, 2);
        for (const old of step.discard) await storage.discard("job-retain", old);
        kept = step.kept;
      }
      const metadataFiles = (await raw.names("job-retain")).filter((name) => name.endsWith("/_metadata"));
      expect(metadataFiles).toEqual(["job-retain/chk-4/_metadata", "job-retain/chk-5/_metadata"]);
      expect((await storage.latest("job-retain"))?.metadata.checkpointId).toBe(5);
    });
  });
}
