// One subtask's LMDB environment and the write buffer in front of it. Receives gets, puts and
// removes keyed by latin1 key strings (see lmdb-state-keys.ts); sends them to LMDB synchronously,
// batched: writes collect in memory and are committed together in one transactionSync, because a
// commit per write (putSync) runs at ~55k writes/s where a batch of thousands runs at ~600k/s.
//
// Durability: the environment is opened with noSync (no fsync) and noMemInit. It is local working
// state, not a durable copy — the checkpoint is — so it is cleared when opened and a crash that
// corrupts it loses nothing a restore from the last checkpoint does not bring back.

import { mkdirSync, rmSync } from "node:fs";
import { open, type Database, type RootDatabase } from "lmdb";
import { MAX_KEY_BYTES } from "./lmdb-state-keys.ts";

/** What happens to a key: the store tells the change log of every put and remove. */
export interface ChangeRecorder {
  record(key: string): void;
}

export interface LmdbStateStoreOptions {
  /** The environment's directory (created if missing; whatever it held is cleared). */
  directory: string;
  /** Writes kept in memory before one transaction commits them all (default 16,384). */
  writeBufferSize?: number;
}

/** A removed key in the write buffer. */
const REMOVED: unique symbol = Symbol("removed");

export interface StoredEntry {
  key: string;
  value: unknown;
}

export class LmdbStateStore {
  readonly directory: string;
  private readonly env: RootDatabase<unknown, Buffer>;
  private readonly db: Database<unknown, Buffer>;
  private readonly pending = new Map<string, unknown>();
  private readonly writeBufferSize: number;
  private readonly scratch = Buffer.allocUnsafe(MAX_KEY_BYTES);
  private state: { kind: "open" } | { kind: "closed" } = { kind: "open" };

  constructor(options: LmdbStateStoreOptions, private readonly changes: ChangeRecorder) {
    this.directory = options.directory;
    this.writeBufferSize = options.writeBufferSize ?? 16_384;
    if (!(Number.isInteger(this.writeBufferSize) && this.writeBufferSize >= 1)) throw new Error(`writeBufferSize must be a positive integer, got ${options.writeBufferSize}`);
    mkdirSync(this.directory, { recursive: true });
    this.env = open<unknown, Buffer>(this.directory, { noSync: true, noMemInit: true, maxDbs: 2 });
    // Values are msgpack without records (no shared-structure entry among the state's keys).
    const dbOptions = { name: "keyed-state", keyEncoding: "binary" as const, encoding: "msgpack" as const, useRecords: false };
    this.db = this.env.openDB<unknown, Buffer>(dbOptions);
    this.db.clearSync();
  }

  /** The stored value, or undefined when there is none. */
  get(key: string): unknown {
    const buffered = this.pending.get(key);
    if (buffered !== undefined) return buffered === REMOVED ? undefined : buffered;
    return this.db.get(this.bytes(key));
  }

  put(key: string, value: unknown): void {
    checkKeySize(key);
    this.pending.set(key, value);
    this.changes.record(key);
    if (this.pending.size >= this.writeBufferSize) this.flush();
  }

  remove(key: string): void {
    checkKeySize(key);
    this.pending.set(key, REMOVED);
    this.changes.record(key);
    if (this.pending.size >= this.writeBufferSize) this.flush();
  }

  /** Commits the buffered writes in one transaction. */
  flush(): void {
    if (this.pending.size === 0) return;
    this.checkOpen();
    const { db, pending } = this;
    db.transactionSync(() => {
      for (const [key, value] of pending) {
        if (value === REMOVED) db.remove(this.bytes(key));
        else db.put(this.bytes(key), value);
      }
    });
    pending.clear();
  }

  /**
   * Every entry whose key is in [start, end), in key order (buffered writes are committed first).
   * An array, not an iterator: callers write while they walk it, and a write may commit.
   */
  range(start: string, end: string, limit?: number): StoredEntry[] {
    this.checkOpen();
    this.flush();
    const entries: StoredEntry[] = [];
    for (const { key, value } of this.db.getRange({ start: Buffer.from(start, "latin1"), end: Buffer.from(end, "latin1"), limit })) entries.push({ key: key.toString("latin1"), value });
    return entries;
  }

  /** Every key in [start, end), in key order (buffered writes are committed first). */
  keys(start: string, end: string, limit?: number): string[] {
    this.checkOpen();
    this.flush();
    const keys: string[] = [];
    for (const key of this.db.getKeys({ start: Buffer.from(start, "latin1"), end: Buffer.from(end, "latin1"), limit })) keys.push(key.toString("latin1"));
    return keys;
  }

  /** Number of entries with a key in [start, end). */
  count(start: string, end: string): number {
    this.checkOpen();
    this.flush();
    return this.db.getCount({ start: Buffer.from(start, "latin1"), end: Buffer.from(end, "latin1") });
  }

  /** Writes many entries at once, bypassing the buffer and the change log (restores). */
  writeAll(puts: Iterable<StoredEntry>, removes: Iterable<string> = []): void {
    this.checkOpen();
    this.flush();
    this.db.transactionSync(() => {
      for (const key of removes) this.db.remove(Buffer.from(key, "latin1"));
      for (const { key, value } of puts) this.db.put(Buffer.from(key, "latin1"), value);
    });
  }

  /** Releases the environment; buffered writes are dropped (the state is local and disposable). */
  async close(): Promise<void> {
    if (this.state.kind === "closed") return;
    this.state = { kind: "closed" };
    this.pending.clear();
    await this.env.close();
  }

  /** Closes and deletes the environment's directory. */
  async dispose(): Promise<void> {
    await this.close();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** The key's bytes in the scratch buffer (valid until the next call). */
  private bytes(key: string): Buffer {
    checkKeySize(key);
    this.checkOpen();
    const length = this.scratch.write(key, 0, "latin1");
    return this.scratch.subarray(0, length);
  }

  private checkOpen(): void {
    if (this.state.kind === "closed") throw new Error(`the LMDB state backend in ${this.directory} is closed`);
  }
}

/** Checked on every write too: a write is committed later, where its error would hit another record. */
function checkKeySize(key: string): void {
  if (key.length > MAX_KEY_BYTES) throw new Error(`a state key of ${key.length} bytes is longer than LMDB's ${MAX_KEY_BYTES}: use a smaller key`);
}
