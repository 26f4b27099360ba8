// Sinks: a user sink function, print (stdout), a line/NDJSON file sink and the collect sink that
// streams results back to the client. Writes are batched per event-loop turn, never per record.

import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, statSync, truncateSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { UnrecoverableError } from "../core/errors.ts";
import { callable, closeFunction, openFunction, type SinkFunction } from "../core/functions.ts";
import { collectMac } from "../messages/deployment-binding.ts";
import { subjects } from "../bus/subjects.ts";
import { encode } from "../messages/codec.ts";
import { MAX_FRAME_BYTES, RecordTooLargeError } from "../messages/frame-limits.ts";
import { deliverLastBatch } from "./collect-delivery.ts";
import { BaseOperator, runtimeContextOf, type OperatorContext } from "./operator.ts";
import type { FunctionSnapshotContext } from "../state/checkpointed-function.ts";
import type { ListState } from "../core/keyed-state.ts";
import { ListStateDescriptor } from "../core/state-descriptors.ts";

export class SinkOperator<T> extends BaseOperator {
  private fn!: (value: T) => void;
  constructor(readonly userFunction: SinkFunction<T>) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.fn = callable(this.userFunction, "invoke");
    await openFunction(this.userFunction, runtimeContextOf(ctx));
  }
  process(record: unknown): void {
    this.fn(record as T);
  }
  override onWatermark(): void {}
  override close(): Promise<void> {
    return closeFunction(this.userFunction);
  }
}

/** Accumulates text and writes it once per event-loop turn (and when large). */
abstract class BatchedTextSink extends BaseOperator {
  private pending: string[] = [];
  private pendingChars = 0;
  private scheduled = false;

  protected append(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars > 64 * 1024) this.writePending();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.guarded(() => this.writePending()));
    }
  }

  protected writePending(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.pendingChars = 0;
    this.write(text);
  }

  protected abstract write(text: string): void;

  override onWatermark(): void {}

  override finish(): void {
    this.writePending();
  }
}

export type LineFormat = "ndjson" | "text";

function formatLine(record: unknown, format: LineFormat): string {
  if (format === "text") return `${typeof record === "string" ? record : JSON.stringify(record)}\n`;
  return `${JSON.stringify(record)}\n`;
}

/** Prints records to stdout; with parallelism > 1 each line starts with "<subtask+1>> ", as in Flink. */
export class PrintSink extends BatchedTextSink {
  private prefix = "";
  constructor(private readonly label?: string) {
    super();
  }
  override open(ctx: OperatorContext): void {
    super.open(ctx);
    const parts = [this.label, ctx.parallelism > 1 ? String(ctx.subtaskIndex + 1) : undefined].filter(Boolean);
    this.prefix = parts.length > 0 ? `${parts.join(":")}> ` : "";
  }
  process(record: unknown): void {
    this.append(this.prefix + formatLine(record, "text"));
  }
  protected write(text: string): void {
    process.stdout.write(text);
  }
}

/** One subtask's file as a checkpoint saw it: its length once everything before the barrier was written and synced. */
interface FileSinkEntry {
  subtaskIndex: number;
  file: string;
  length: number;
}

const FILE_SINK_STATE = new ListStateDescriptor<FileSinkEntry>("weir.file-sink");

/**
 * Writes one line per record. With parallelism 1 `path` is the file; with more, `path` is a
 * directory holding one `part-<subtask>` file per subtask (like Flink's writeAsText).
 *
 * Each checkpoint and savepoint records every file's length after writing and syncing what
 * came before the barrier. A restore truncates each file to its length in the checkpoint, and the
 * records after it are written again by the replay: once the job ends, every record is in the
 * files exactly once. While it runs, lines written after the last completed checkpoint may be
 * taken back by a failure. Every file's entry reaches every subtask on restore (union state):
 * subtask i truncates the files of old subtasks j with j mod parallelism = i, so a restore at
 * another parallelism truncates each file exactly once and leaves files of removed subtasks as
 * they were checkpointed (a directory of part files stays a directory at parallelism 1).
 */
export class FileSink extends BatchedTextSink {
  private fd = -1;
  private file = "";
  private state!: ListState<FileSinkEntry>;
  constructor(private readonly path: string, private readonly format: LineFormat) {
    super();
  }
  override open(ctx: OperatorContext): void {
    super.open(ctx);
    // Savepoints come without periodic checkpointing too: the lengths are always part of a snapshot.
    this.state = ctx.operatorState.getUnionListState(FILE_SINK_STATE);
    const restored = this.state.get();
    // A directory of part files stays one when a restore brings the sink down to one subtask.
    this.file = this.path;
    if (ctx.parallelism > 1 || restored.some((entry) => entry.file !== this.path)) {
      this.file = join(this.path, `part-${ctx.subtaskIndex}`);
      this.usingPath(() => mkdirSync(this.path, { recursive: true }), this.path, "directory");
    }
    let resumed = false;
    for (const entry of restored) {
      if (entry.subtaskIndex % ctx.parallelism !== ctx.subtaskIndex) continue;
      rollBack(entry);
      if (entry.file === this.file) resumed = true;
    }
    // A fresh start (or a file this job never checkpointed) begins empty; a restored one goes on where its checkpoint left it.
    this.fd = this.usingPath(() => openSync(this.file, resumed ? "a" : "w"), this.file, "file");
  }
  /** Runs a file system call on the sink's path; a path no restart can make usable fails the job at once. */
  private usingPath<R>(call: () => R, target: string, kind: "directory" | "file"): R {
    try {
      return call();
    } catch (error) {
      throw unusablePathError(error, this.format === "text" ? "writeAsText" : "writeAsNdjson", target, kind) ?? error;
    }
  }
  process(record: unknown): void {
    this.append(formatLine(record, this.format));
  }
  protected write(text: string): void {
    writeSync(this.fd, text);
  }
  snapshotState(): void {
    this.writePending();
    fsyncSync(this.fd);
    this.state.update([{ subtaskIndex: this.ctx.subtaskIndex, file: this.file, length: fstatSync(this.fd).size }]);
  }
  override close(): void {
    if (this.fd < 0) return;
    this.writePending();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * The UnrecoverableError for a file system failure that restarting cannot cure (the path is a
 * directory, a file, not writable, or its directory is missing), saying what to change; undefined
 * for others (a full disk or too many open files may pass).
 */
function unusablePathError(error: unknown, sink: string, target: string, kind: "directory" | "file"): UnrecoverableError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (error as Error | undefined)?.message ?? String(error);
  const fix = (() => {
    switch (code) {
      case "EISDIR":
        return "it is a directory, and at parallelism 1 the sink writes one file at its path; give a file path or remove the directory (above parallelism 1 the path is a directory of part files)";
      case "EEXIST":
      case "ENOTDIR":
        return kind === "directory"
          ? "above parallelism 1 the path must be a directory of part files, and it (or a folder on the way) is a file; give another path or remove the file"
          : "a folder on the way to it is a file; give another path or remove the file";
      case "ENOENT":
        return `its directory ${dirname(target)} does not exist; create it or give another path`;
      case "EACCES":
      case "EPERM":
        return "the job's process may not write there; change the permissions or give another path";
      case "EROFS":
        return "it is on a read-only file system; give a writable path";
      default:
        return undefined;
    }
  })();
  return fix === undefined ? undefined : new UnrecoverableError(`${sink} ${target}: ${fix} (${reason})`);
}

/** Takes a file back to its length in a checkpoint: what was written after the barrier is replayed. */
function rollBack(entry: FileSinkEntry): void {
  let size: number;
  try {
    size = statSync(entry.file).size;
  } catch {
    throw new Error(`file sink: ${entry.file} held ${entry.length} bytes at the checkpoint being restored, and it is gone; restore its contents or start the job without the checkpoint`);
  }
  if (size < entry.length) throw new Error(`file sink: ${entry.file} is ${size} bytes, shorter than the ${entry.length} bytes it had at the checkpoint being restored; was it changed outside the job?`);
  truncateSync(entry.file, entry.length);
}

const COLLECT_BATCH = 500;

/** What a checkpointing collect sink keeps: batches staged at barriers until their checkpoint completes. */
interface CollectSinkState {
  jobId: string;
  /**
   * The numbered sequence (lane) its batches go in, as `subtaskIndex` of the collect messages: the
   * subtask index, or, for a subtask a rescale left without one, one of its own (see laneFor).
   * Absent in snapshots of older versions: the subtask index.
   */
  lane?: number;
  /** Batches sent so far (the next batch is seq + 1). */
  seq: number;
  staged: { checkpointId: number; records: unknown[] }[];
}

const COLLECT_STATE = new ListStateDescriptor<CollectSinkState>("weir.collect-sink");

/** Lanes a rescaled execution opens are numbered attempt * LANES_PER_ATTEMPT + subtask index: never one used before. */
const LANES_PER_ATTEMPT = 65_536;

/**
 * Sends records to the client that submitted the job, in numbered batches, ending with `last`.
 * With checkpointing, records are staged at each barrier and sent only once that checkpoint has
 * completed (the staged batches are part of the checkpoint, and the client drops a batch number
 * it has seen): after a failover the client sees every record exactly once. The last batch is a
 * request the client answers, sent again until it does (see deliverLastBatch).
 */
export class CollectSink extends BaseOperator {
  private batch: unknown[] = [];
  private seq = 0;
  private lane = 0;
  private scheduled = false;
  private subject = "";
  private transactional = false;
  private staged: CollectSinkState["staged"] = [];
  private state?: ListState<CollectSinkState>;
  private released = false;
  constructor(private readonly sinkId: string) {
    super();
  }
  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.subject = subjects.collect(ctx.jobId);
    this.transactional = ctx.checkpointing;
    this.lane = ctx.subtaskIndex;
    if (!this.transactional) return;
    this.state = ctx.operatorState.getListState(COLLECT_STATE);
    const [own, ...absorbed] = this.state.get().filter((s) => s.jobId === ctx.jobId);
    // Restored from a completed checkpoint: what it staged is committed; the client drops repeats.
    // After a rescale a subtask may restore several lanes: it goes on in the first and closes the
    // others once their staged batches are sent again; one restoring none opens a lane of its own.
    for (const other of absorbed) {
      if (other.lane === undefined) continue;
      this.lane = other.lane;
      this.seq = other.seq;
      for (const { records } of other.staged) this.sendRecords(records, false);
      this.sendRecords([], true);
    }
    this.lane = own ? (own.lane ?? ctx.subtaskIndex) : ctx.operatorState.isRestored ? ctx.attempt * LANES_PER_ATTEMPT + ctx.subtaskIndex : ctx.subtaskIndex;
    this.seq = own?.seq ?? 0;
    for (const { records } of own?.staged ?? []) this.sendRecords(records, false);
  }
  process(record: unknown): void {
    this.batch.push(record);
    if (this.transactional) return;
    if (this.batch.length >= COLLECT_BATCH) this.send(false);
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() =>
        this.guarded(() => {
          this.scheduled = false;
          if (this.batch.length > 0) this.send(false);
        }),
      );
    }
  }
  snapshotState(ctx: FunctionSnapshotContext): void {
    if (!this.state) return;
    if (this.batch.length > 0) this.staged.push({ checkpointId: ctx.checkpointId, records: this.batch });
    this.batch = [];
    this.state.update([{ jobId: this.ctx.jobId, lane: this.lane, seq: this.seq, staged: this.staged }]);
  }
  notifyCheckpointComplete(checkpointId: number): void {
    while (this.staged.length > 0 && this.staged[0].checkpointId <= checkpointId) this.sendRecords(this.staged.shift()!.records, false);
  }
  override onWatermark(): void {}
  override async finish(): Promise<void> {
    for (const { records } of this.staged) this.sendRecords(records, false);
    this.staged = [];
    const batches = this.encodeBatches(this.batch, true);
    this.batch = [];
    const last = batches.pop()!;
    for (const bytes of batches) this.ctx.bus.publish(this.subject, bytes);
    await deliverLastBatch(last, { bus: this.ctx.bus, clock: this.ctx.clock, log: this.ctx.log, subject: this.subject, lane: this.lane, seq: this.seq, stopped: () => this.released });
  }
  override close(): void {
    this.released = true;
  }
  private send(last: boolean): void {
    const records = this.batch;
    this.batch = [];
    this.sendRecords(records, last);
  }
  private sendRecords(records: unknown[], last: boolean): void {
    for (const bytes of this.encodeBatches(records, last)) this.ctx.bus.publish(this.subject, bytes);
  }
  /** Encodes records into numbered batches below the frame limit, splitting as needed. */
  private encodeBatches(records: unknown[], last: boolean): Uint8Array[] {
    const position = { jobId: this.ctx.jobId, sinkId: this.sinkId, subtaskIndex: this.lane, seq: this.seq + 1, last, count: records.length };
    const mac = collectMac(this.ctx.collectKey ?? "", position);
    const message = { type: "collect" as const, jobId: position.jobId, sinkId: this.sinkId, subtaskIndex: position.subtaskIndex, seq: position.seq, records, last, mac };
    const bytes = encode(message);
    if (bytes.length <= MAX_FRAME_BYTES) {
      this.seq += 1;
      return [bytes];
    }
    if (records.length <= 1) throw new RecordTooLargeError(bytes.length);
    const middle = Math.ceil(records.length / 2);
    return [...this.encodeBatches(records.slice(0, middle), false), ...this.encodeBatches(records.slice(middle), last)];
  }
}
