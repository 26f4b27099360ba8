// Savepoints in a directory the user names: state files and _metadata side by side, loaded from the
// directory or its _metadata file, never written over an existing savepoint.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointNotFoundError, CorruptCheckpointError, loadMetadata, readState, savepointStorage, writeSavepointMetadata } from "../../src/checkpoint/index.ts";
import { metadataFor } from "./storage-contract.ts";

const base = mkdtempSync(join(tmpdir(), "weir-sp-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("a savepoint directory", () => {
  it("holds <dir>/<name>.state and <dir>/_metadata, loaded from the directory, its URI or the _metadata path", async () => {
    const dir = join(base, "sp-1");
    const savepoint = savepointStorage(dir);
    const handle = await savepoint.writeState("job-1", 12, "v1-0", new Uint8Array([4, 2]));
    expect(handle).toMatchObject({ kind: "blob", uri: `file://${dir}/v1-0.state`, bytes: 2 });
    const metadata = { ...metadataFor("job-1", 12, [handle]), kind: "savepoint" as const };
    expect(await savepoint.commit(metadata)).toBe(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual(["_metadata", "v1-0.state"]);
    for (const location of [dir, `file://${dir}`, join(dir, "_metadata")]) expect(await loadMetadata(location)).toEqual(metadata);
    expect(await readState((await loadMetadata(dir)).subtasks[0].handle!)).toEqual(new Uint8Array([4, 2]));
  });

  it("is never written over: a second savepoint into the same directory is refused", async () => {
    const dir = join(base, "sp-2");
    await writeSavepointMetadata(dir, { ...metadataFor("job-1", 1, []), kind: "savepoint" });
    await expect(writeSavepointMetadata(`file://${dir}`, { ...metadataFor("job-1", 2, []), kind: "savepoint" })).rejects.toThrow(
      `savepoint directory ${dir} already holds a savepoint (_metadata): choose a new directory`,
    );
    expect((await loadMetadata(dir)).checkpointId).toBe(1);
    expect(readdirSync(dir)).toEqual(["_metadata"]);
  });

  it("must be absolute, since every worker resolves it", () => {
    expect(() => savepointStorage("savepoints/sp")).toThrow(/savepoint directory "savepoints\/sp" must be absolute/);
  });

  it("is reported missing or corrupt, naming the location, when its _metadata is absent or garbage", async () => {
    const empty = join(base, "empty");
    await expect(loadMetadata(empty)).rejects.toThrow(CheckpointNotFoundError);
    await expect(loadMetadata(empty)).rejects.toThrow(`no checkpoint at ${empty}`);
    const garbage = join(base, "garbage");
    await savepointStorage(garbage).writeState("job-1", 1, "v1-0", new Uint8Array([1]));
    writeFileSync(join(garbage, "_metadata"), "not msgpack at all");
    const error = await loadMetadata(garbage).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptCheckpointError);
    expect((error as Error).message).toMatch(new RegExp(`checkpoint data at ${garbage} is corrupt`));
  });

  it("refuses locations it cannot resolve, listing the forms it can", async () => {
    await expect(loadMetadata("s3://bucket/sp")).rejects.toThrow(/is not a checkpoint location: expected file:\/\/\/absolute\/path, an absolute path, object-store/);
  });
});
