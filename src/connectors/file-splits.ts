// The file source's splits: one per file, its position the byte offset of the next unread record.
// Its split enumerator (file-enumerator.ts) lists the files and hands them to the readers.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export interface FileSplit {
  path: string;
  /** The byte offset of the next record to emit. */
  offset: number;
  /** A CSV file's column names, once its header row was read. */
  header?: string[];
  /** In checkpoints of earlier versions: the file was read to its end. */
  done?: true;
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
