// A BlobStore in a directory: blob `a/b/c` is the file `<root>/a/b/c`. Writes go to a temporary
// file that is fsynced and renamed into place (then the directory is fsynced), so a crash leaves
// the old file or the new one. Receives names and bytes; touches only files under its root.

import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import type { Dirent } from "node:fs";
import { dirname, join } from "node:path";
import type { BlobStore } from "./blob-store.ts";
import { fileUri } from "./storage-location.ts";

const TEMP_MARK = ".tmp-";

/** Whether `putNew` stored the blob or found one already there. */
export type PutNewOutcome = "stored" | "exists";

export class FileBlobStore implements BlobStore {
  /** @param root an absolute directory; created on the first write. */
  constructor(readonly root: string) {}

  uri(name: string): string {
    return fileUri(this.path(name));
  }

  async put(name: string, bytes: Uint8Array): Promise<void> {
    const path = this.path(name);
    const temp = await writeTempFile(path, bytes);
    await rename(temp, path);
    await syncDirectory(dirname(path));
  }

  /** Stores `bytes` as `name` only when no file has that name (atomically: link, not rename). */
  async putNew(name: string, bytes: Uint8Array): Promise<PutNewOutcome> {
    const path = this.path(name);
    const temp = await writeTempFile(path, bytes);
    try {
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return "exists";
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    await syncDirectory(dirname(path));
    return "stored";
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    try {
      const buffer = await readFile(this.path(name));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  async list(folder: string): Promise<string[]> {
    const names: string[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(this.path(relative), { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return;
        throw error;
      }
      for (const entry of entries) {
        const name = `${relative}/${entry.name}`;
        if (entry.isDirectory()) await walk(name);
        else if (!entry.name.includes(TEMP_MARK)) names.push(name);
      }
    };
    await walk(folder);
    return names;
  }

  async deleteFolder(folder: string): Promise<void> {
    await rm(this.path(folder), { recursive: true, force: true });
  }

  private path(name: string): string {
    return join(this.root, ...name.split("/"));
  }
}

/** Writes and fsyncs `bytes` to a fresh temporary file next to `path`; returns its path. */
async function writeTempFile(path: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}${TEMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`;
  const file = await open(temp, "wx");
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  return temp;
}

/** Makes a rename or link in `directory` durable. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
