// A source reading files: a file, or every file of a directory once, or a directory watched for
// new files. Each file is a split, handed to a reader that asks by the source's split enumerator
// (file-enumerator.ts); its position — the byte offset of the next unread record — is in every
// checkpoint, so a restore resumes mid-file with no record lost or repeated. Files are read in
// 64 KiB chunks in the background; pollNext hands out the records of the last chunk without
// awaiting, decoding each as it goes (a bad one fails the job or becomes a dead letter).

import { open, type FileHandle } from "node:fs/promises";
import type { Clock } from "../core/clock.ts";
import { UnrecoverableError } from "../core/errors.ts";
import type { InputStatus, Source, SourceOutput, SourceReader, SourceReaderContext } from "../operators/source.ts";
import { BadRecords, type BadRecordOptions } from "./bad-records.ts";
import { csvObject, decodeLine, parseCsvRecord, recordBounds, type FileFormat } from "./file-formats.ts";
import { FileSplitEnumerator } from "./file-enumerator.ts";
import { restoredFileSplit, type FileSplit } from "./file-splits.ts";

export interface FileSourceOptions<T> extends BadRecordOptions {
  /** A file, or a directory whose files (not hidden ones, not subdirectories) are read. */
  path: string;
  /** "text" (each line), "ndjson" (a JSON value per line), "csv" (a header row, then objects), or a function of each line. */
  format: FileFormat<T>;
  /** Keep watching the directory: files that appear in it are read too, and the source never ends (default: false). */
  watch?: boolean;
  /** How often a watched directory is listed, in ms (default: 1000). */
  pollIntervalMs?: number;
}

const CHUNK_BYTES = 64 * 1024;
/** Records left before the next chunk is read ahead. */
const READ_AHEAD_BELOW = 256;
/** Poll intervals a reader waits for an answer to its split request before it asks again (one may be lost on a reconnect). */
const ASK_AGAIN_AFTER_POLLS = 10;

/**
 * Reads files line by line (CSV: record by record), exactly once with checkpointing.
 * @example
 * env.fromSource(fileSource<Order>({ path: "/data/orders", format: "ndjson", watch: true }), "Orders");
 */
export function fileSource<T>(options: FileSourceOptions<T>): Source<T> {
  if (!options.path) throw new Error("fileSource: path must name a file or a directory");
  const format = options.format;
  if (format !== "text" && format !== "ndjson" && format !== "csv" && typeof format !== "function") throw new Error(`fileSource: format must be "text", "ndjson", "csv" or a function, got ${JSON.stringify(format)}`);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  if (!(pollIntervalMs > 0)) throw new Error(`fileSource: pollIntervalMs must be > 0, got ${pollIntervalMs}`);
  const watch = options.watch ?? false;
  return {
    parallel: true,
    createReader: (ctx) => new FileReader<T>({ ...options, pollIntervalMs }, ctx),
    createEnumerator: (ctx, restored) => new FileSplitEnumerator({ path: options.path, watch, pollIntervalMs }, ctx, restored),
  };
}

/** The file being read: its handle, how far it was read, and the incomplete record after the last chunk. */
interface OpenFile {
  split: FileSplit;
  handle?: FileHandle;
  readOffset: number;
  rest: Uint8Array;
  eof: boolean;
}

interface RawRecord {
  text: string;
  offset: number;
  next: number;
}

class FileReader<T> implements SourceReader<T> {
  private readonly name: string;
  private readonly badRecords: BadRecords;
  private readonly clock: Clock;
  /** The files this reader has and has not finished, the one being read first. */
  private splits: FileSplit[] = [];
  private current?: OpenFile;
  private ready: RawRecord[] = [];
  private head = 0;
  /** A chunk read or a file open in flight. */
  private busy = false;
  /** Asked the enumerator for a file and got no answer yet (polls waited so far). */
  private asked?: number;
  private noMoreSplits: boolean;
  private failure?: Error;
  private wake?: () => void;
  private timer?: unknown;
  private closed = false;

  constructor(
    private readonly options: FileSourceOptions<T> & { pollIntervalMs: number },
    private readonly ctx: SourceReaderContext,
  ) {
    this.name = `fileSource ${options.path}`;
    this.badRecords = new BadRecords(this.name, "byte", options, ctx);
    this.clock = ctx.clock;
    // Files finished under an earlier version's checkpoints (`done`) are the enumerator's business now.
    this.splits = (ctx.restoredSplits ?? []).map((s) => restoredFileSplit(this.name, s)).filter((s) => !s.done);
    // Built by hand, without an enumerator: it reads the splits it was given, then ends.
    this.noMoreSplits = ctx.sendSplitRequest === undefined;
  }

  addSplits(splits: unknown[]): void {
    this.splits.push(...splits.map((s) => restoredFileSplit(this.name, s)));
    this.asked = undefined;
    this.notify();
  }

  notifyNoMoreSplits(): void {
    this.noMoreSplits = true;
    this.asked = undefined;
    this.notify();
  }

  pollNext(output: SourceOutput<T>): InputStatus {
    if (this.failure) throw this.failure;
    const file = this.current;
    if (file !== undefined && this.head < this.ready.length) {
      const record = this.ready[this.head++];
      file.split.offset = record.next;
      this.emit(file.split, record, output);
      if (this.ready.length - this.head < READ_AHEAD_BELOW && !file.eof && !this.busy) this.start(this.readChunk(file));
      return "more";
    }
    if (this.busy) return "nothing";
    if (file !== undefined && !file.eof) {
      this.start(this.readChunk(file));
      return "nothing";
    }
    if (file !== undefined) {
      this.finish(file);
      output.releaseSplit(file.split.path);
    }
    const next = this.splits[0];
    if (next !== undefined) {
      this.current = { split: next, readOffset: next.offset, rest: new Uint8Array(0), eof: false };
      this.start(this.readChunk(this.current));
      return "nothing";
    }
    if (this.noMoreSplits) return "end";
    if (this.asked === undefined) {
      this.asked = 0;
      this.ctx.sendSplitRequest!();
    }
    return "nothing";
  }

  available(): Promise<void> {
    if (this.failure || this.head < this.ready.length) return Promise.resolve();
    if (this.busy) return new Promise<void>((resolve) => (this.wake = resolve));
    // Waiting for a file: wakes on an answer, or after the poll interval (to ask again, in time).
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        if (this.asked !== undefined && ++this.asked >= ASK_AGAIN_AFTER_POLLS) this.asked = undefined;
        this.notify();
      }, this.options.pollIntervalMs);
    });
  }

  snapshotState(): unknown[] {
    // What remains to read, the file being read at the offset of its next record.
    return this.splits.map((s) => ({ ...s, ...(s.header ? { header: [...s.header] } : {}) }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    await this.current?.handle?.close();
    this.notify();
  }

  /**
   * Decodes one record into the output, or hands it to the bad-record policy. Only the decoding is
   * guarded: what the operators chained after the source throw is their failure, not a bad record.
   */
  private emit(split: FileSplit, record: RawRecord, output: SourceOutput<T>): void {
    const { format } = this.options;
    let value: T | undefined;
    try {
      if (format === "csv") {
        if (record.text === "") return;
        if (split.header === undefined) {
          split.header = parseCsvRecord(record.text);
          return;
        }
        value = csvObject(split.header, record.text) as T;
      } else {
        value = decodeLine(format, record.text);
      }
    } catch (error) {
      this.badRecords.reject(output, split.path, record.offset, record.text, error);
      return;
    }
    if (value !== undefined) output.forSplit(split.path).collect(value);
  }

  /** The current file was read and emitted to its end. */
  private finish(file: OpenFile): void {
    this.splits = this.splits.filter((s) => s !== file.split);
    // Closing a file that was read to its end cannot lose anything: a failure here is not the job's.
    void file.handle?.close().catch(() => undefined);
    this.current = undefined;
  }

  private start(work: Promise<void>): void {
    this.busy = true;
    void work
      .catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        this.busy = false;
        this.notify();
      });
  }

  /** Reads the next chunk of the file into complete records; at its end, the last line even without a newline. */
  private async readChunk(file: OpenFile): Promise<void> {
    const { path } = file.split;
    try {
      file.handle ??= await open(path, "r");
      const buffer = new Uint8Array(file.rest.length + CHUNK_BYTES);
      buffer.set(file.rest);
      const { bytesRead } = await file.handle.read(buffer, file.rest.length, CHUNK_BYTES, file.readOffset);
      if (this.closed) return;
      const base = file.readOffset - file.rest.length;
      const bytes = buffer.subarray(0, file.rest.length + bytesRead);
      const { records, rest } = recordBounds(bytes, this.options.format === "csv");
      this.compact();
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      for (const r of records) this.ready.push({ text: text.toString("utf8", r.start, r.end), offset: base + r.start, next: base + r.next });
      file.readOffset += bytesRead;
      file.rest = bytes.slice(rest);
      if (bytesRead === 0) {
        file.eof = true;
        if (file.rest.length > 0) this.ready.push({ text: text.toString("utf8", rest), offset: base + rest, next: base + bytes.length });
      }
    } catch (error) {
      const message = `${this.name}: cannot read ${path} at byte ${file.readOffset}: ${(error as Error).message}`;
      // A file that is gone stays gone: a restart would only fail on it again.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new UnrecoverableError(`${message} (the file was removed after it was listed; a restart cannot read it)`);
      throw new Error(message);
    }
  }

  private compact(): void {
    this.ready = this.ready.slice(this.head);
    this.head = 0;
  }

  private notify(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
