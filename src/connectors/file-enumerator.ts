// The file source's split enumerator: lists the path (once, or every poll interval when watching),
// and hands each file it has not seen to the next reader that asks, one file at a time. Its state —
// every file seen, and those not yet handed out — is in every checkpoint, so a watched directory
// restored at any parallelism neither loses a file nor reads one twice.

import { UnrecoverableError } from "../core/errors.ts";
import type { SplitEnumerator, SplitEnumeratorContext } from "../operators/source.ts";
import { listFiles, restoredFileSplit, type FileSplit } from "./file-splits.ts";

export interface FileEnumeratorOptions {
  path: string;
  watch: boolean;
  pollIntervalMs: number;
}

/** The enumerator's checkpointed state. */
export interface FileEnumeratorState {
  /** Every file seen: handed out, or waiting in `pending`. */
  known: string[];
  /** Files (or the rest of files, given back by a failed reader) no reader has yet. */
  pending: FileSplit[];
  /** The path was listed at least once (a bounded source then knows all its files). */
  listed: boolean;
}

export class FileSplitEnumerator implements SplitEnumerator {
  private readonly known: Set<string>;
  private pending: FileSplit[];
  private listed: boolean;
  /** Readers that asked and got nothing yet, in the order they asked. */
  private waiting: number[] = [];

  constructor(
    private readonly options: FileEnumeratorOptions,
    private readonly ctx: SplitEnumeratorContext,
    restored?: unknown,
  ) {
    const state = restored === undefined ? { known: [], pending: [], listed: false } : restoredState(`fileSource ${options.path}`, restored);
    this.known = new Set(state.known);
    this.pending = state.pending;
    this.listed = state.listed;
  }

  start(): void {
    if (this.listed && !this.options.watch) return;
    this.ctx.callAsync(
      () => listFiles(this.options.path).catch((error: NodeJS.ErrnoException) => Promise.reject(listingError(this.options.path, error))),
      (files) => this.discovered(files),
      this.options.watch ? this.options.pollIntervalMs : undefined,
    );
  }

  handleSplitRequest(subtaskIndex: number): void {
    if (!this.waiting.includes(subtaskIndex)) this.waiting.push(subtaskIndex);
    this.serve();
  }

  addReader(): void {
    // Readers ask when they want a file.
  }

  addSplitsBack(splits: unknown[]): void {
    this.pending.unshift(...splits.map((s) => restoredFileSplit(`fileSource ${this.options.path}`, s)));
    this.serve();
  }

  snapshotState(): FileEnumeratorState {
    return { known: [...this.known], pending: this.pending.map((s) => ({ ...s, ...(s.header ? { header: [...s.header] } : {}) })), listed: this.listed };
  }

  private discovered(files: readonly string[]): void {
    this.listed = true;
    for (const path of files) {
      if (this.known.has(path)) continue;
      this.known.add(path);
      this.pending.push({ path, offset: 0 });
    }
    this.serve();
  }

  /** Gives each waiting reader a file; once a bounded source's files are all out, tells them there are no more. */
  private serve(): void {
    const registered = new Set(this.ctx.registeredReaders());
    // A reader that restarted since it asked asks again.
    this.waiting = this.waiting.filter((subtask) => registered.has(subtask));
    while (this.waiting.length > 0) {
      const subtask = this.waiting[0];
      const split = this.pending.shift();
      if (split !== undefined) this.ctx.assignSplits(subtask, [split]);
      else if (this.listed && !this.options.watch) this.ctx.signalNoMoreSplits(subtask);
      else return;
      this.waiting.shift();
    }
  }
}

function restoredState(source: string, value: unknown): FileEnumeratorState {
  const state = value as Partial<FileEnumeratorState> | null;
  const valid = typeof state === "object" && state !== null && Array.isArray(state.known) && state.known.every((p) => typeof p === "string") && Array.isArray(state.pending) && typeof state.listed === "boolean";
  if (!valid) throw new Error(`${source}: a restored enumerator state must be {known, pending, listed}, got ${JSON.stringify(value)}`);
  return { known: [...state.known!], pending: state.pending!.map((s) => restoredFileSplit(source, s)), listed: state.listed! };
}

/** A path that does not exist stays missing on a restart: that failure is unrecoverable. */
function listingError(path: string, error: NodeJS.ErrnoException): Error {
  const message = `fileSource ${path}: cannot list ${path}: ${error.message}`;
  return error.code === "ENOENT" ? new UnrecoverableError(`${message} (give a file or directory that exists)`) : new Error(message);
}
