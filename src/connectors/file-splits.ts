// The file source's splits: one per file, its position the byte offset of the next unread record.
// Which reader owns a file is a hash of its name, so readers that list the same directory agree
// without talking, and a file that appears later goes to exactly one of them.

import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";

export interface FileSplit {
  path: string;
  /** The byte offset of the next record to emit. */
  offset: number;
  /** A CSV file's column names, once its header row was read. */
  header?: string[];
  /** Watching: the file was read to its end (kept so it is never read again). */
  done?: true;
}

/** The subtask (of `parallelism`) that reads the file: FNV-1a of its name. */
export function ownerOf(path: string, parallelism: number): number {
  let hash = 0x811c9dc5;
  const name = basename(path);
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash % parallelism;
}

/** The files to read under `path` (itself if it is a file), sorted by name; hidden files are skipped. */
export async function listFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => join(path, e.name))
    .sort();
}

/** A restored split, checked: checkpoints are data from outside this process. */
export function restoredFileSplit(source: string, value: unknown): FileSplit {
  const split = value as Partial<FileSplit> | null;
  const valid =
    typeof split === "object" &&
    split !== null &&
    typeof split.path === "string" &&
    Number.isSafeInteger(split.offset) &&
    (split.header === undefined || (Array.isArray(split.header) && split.header.every((h) => typeof h === "string")));
  if (!valid) throw new Error(`${source}: a restored split must be {path, offset, header?, done?}, got ${JSON.stringify(value)}`);
  return { path: split.path!, offset: split.offset!, ...(split.header ? { header: [...split.header] } : {}), ...(split.done ? { done: true } : {}) };
}
