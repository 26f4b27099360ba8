// Directory checkpoint storage: the shared storage behaviour on a temporary directory, and its
// on-disk layout (what an operator finds under the root).

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DirectoryCheckpointStorage, openCheckpointStorage } from "../../src/checkpoint/index.ts";
import { describeDurableStorage, metadataFor, type RawBlobs } from "./storage-contract.ts";

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "weir-chk-"));
  roots.push(root);
  return root;
}

function rawFiles(root: string): RawBlobs {
  const path = (name: string) => join(root, ...name.split("/"));
  const walk = async (relative: string): Promise<string[]> => {
    const entries = await readdir(path(relative), { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? walk(`${relative}/${e.name}`) : [`${relative}/${e.name}`])));
    return nested.flat();
  };
  return {
    read: async (name) => readFile(path(name)).then((b) => new Uint8Array(b), () => undefined),
    overwrite: async (name, bytes) => {
      await mkdir(dirname(path(name)), { recursive: true });
      await writeFile(path(name), bytes);
    },
    remove: (name) => rm(path(name), { force: true }),
    names: async (jobId) => (await walk(jobId)).sort(),
  };
}

describeDurableStorage("directory checkpoint storage", () => {
  const root = freshRoot();
  return { storage: new DirectoryCheckpointStorage(root), raw: rawFiles(root), resolver: {}, scheme: "file:///" };
});

describe("directory checkpoint storage on disk", () => {
  it("lays out <root>/<jobId>/chk-<id>/<name>.state, _metadata and <root>/<jobId>/_latest, with no temporary files left", async () => {
    const root = freshRoot();
    const storage = await openCheckpointStorage(`file://${root}`);
    expect(storage.spec).toEqual({ kind: "directory", path: root });
    const handle = await storage.writeState("job-1", 7, "v1-0", new Uint8Array([1, 2, 3]));
    const location = await storage.commit(metadataFor("job-1", 7, [handle]));
    expect(location).toBe(`file://${root}/job-1/chk-7`);
    expect(readdirSync(join(root, "job-1")).sort()).toEqual(["_latest", "chk-7"]);
    expect(readdirSync(join(root, "job-1", "chk-7")).sort()).toEqual(["_metadata", "v1-0.state"]);
    expect(new Uint8Array(await readFile(join(root, "job-1", "chk-7", "v1-0.state")))).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("refuses job ids and state names that would leave their folder", async () => {
    const storage = new DirectoryCheckpointStorage(freshRoot());
    await expect(storage.writeState("..", 1, "v1-0", new Uint8Array())).rejects.toThrow(/job id "\.\." cannot name a checkpoint file/);
    await expect(storage.writeState("job", 1, "../../etc/x", new Uint8Array())).rejects.toThrow(/state name/);
  });
});
