// A sink writing records as lines into part files of a directory, exactly once with
// checkpointing (Flink's FileSink for row formats): each subtask writes a hidden in-progress part
// file, rolls it by size and time and at every checkpoint barrier, records the parts closed before
// the barrier as pending in its operator state, and renames them to their visible names once that
// checkpoint has completed. At the end of input the last part waits for the subtask's final
// checkpoint like any other. A restore commits the restored checkpoint's pending parts and removes
// the in-progress files written after it. The decisions are in file-sink-ledger.ts and
// file-sink-rolling.ts; this file does the file I/O.

import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import { UnrecoverableError } from "../core/errors.ts";
import type { ListState } from "../core/keyed-state.ts";
import { ListStateDescriptor } from "../core/state-descriptors.ts";
import { BaseOperator, type OperatorContext } from "../operators/operator.ts";
import type { FunctionSnapshotContext } from "../state/checkpointed-function.ts";
import { atBarrier, checkpointComplete, endOfInput, type FileSinkStateEntry, type Ledger, openPart, PartNames, type PartRef, planRestore, rollPart, stateEntry } from "./file-sink-ledger.ts";
import { mightOverflow, nextTimeRoll, type OpenPart, type FileSinkRollingOptions, type RollingPolicy, rollingPolicy, rollsBeforeRecord, timeRoll } from "./file-sink-rolling.ts";
import type { SinkConnector } from "./sink-connector.ts";

export type { FileSinkRollingOptions } from "./file-sink-rolling.ts";

export interface FileSinkOptions<T> {
  /** The directory the part files go into (created with its parents); absolute, e.g. `env.resolvePath("out/counts")`. */
  path: string;
  /** `"text"`: strings as they are, other values as JSON; `"ndjson"`: each record as JSON; or a function giving a record's line (the sink adds the newline). */
  format: "text" | "ndjson" | ((record: T) => string);
  /** When an in-progress part is closed besides at each checkpoint (defaults: 128 MiB, 60 s open, 60 s without a write). */
  rolling?: FileSinkRollingOptions;
  /** Starts every part file's name (default `part`). */
  prefix?: string;
  /** Ends every part file's name, e.g. `.ndjson` (default none). */
  suffix?: string;
}

const FILE_SINK_STATE = new ListStateDescriptor<FileSinkStateEntry>("weir.file-sink.parts");
/** Text is written once per event-loop turn, or sooner when this much waits. */
const FLUSH_CHARS = 64 * 1024;

/**
 * Writes a stream as lines into part files of a directory, exactly once with checkpointing: a
 * part file becomes visible (`part-<subtask>-<n>`) only once the checkpoint after its last record
 * has completed.
 * @example
 * counts.sinkTo(fileSink<Count>({ path: env.resolvePath("out/counts"), format: "ndjson", rolling: { maxBytes: 64 * 1024 * 1024 }, suffix: ".ndjson" }));
 */
export function fileSink<T>(options: FileSinkOptions<T>): SinkConnector<T> {
  const problems: string[] = [];
  const { path, format, prefix = "part", suffix = "" } = options ?? ({} as FileSinkOptions<T>);
  if (typeof path !== "string" || path.length === 0) problems.push("path must name a directory");
  else if (!isAbsolute(path)) problems.push(`path must be absolute (got "${path}"): resolve it with env.resolvePath("${path}"), so every worker writes where the client meant`);
  if (format !== "text" && format !== "ndjson" && typeof format !== "function") problems.push(`format must be "text", "ndjson" or a function from a record to its line (got ${JSON.stringify(format)})`);
  if (typeof prefix !== "string" || prefix.length === 0 || prefix.startsWith(".") || /[/\\]/.test(prefix)) problems.push(`prefix must be a non-empty file name start without "/" and not starting with "." (got ${JSON.stringify(prefix)})`);
  if (typeof suffix !== "string" || /[/\\]/.test(suffix) || suffix.endsWith(".inprogress")) problems.push(`suffix must be a file name end without "/" (got ${JSON.stringify(suffix)})`);
  const { policy, problems: rollingProblems } = rollingPolicy(options?.rolling);
  problems.push(...rollingProblems);
  if (problems.length > 0) throw new Error(`fileSink: ${problems.join("; ")}`);
  const line = lineOf(format as FileSinkOptions<unknown>["format"], path);
  return { name: `FileSink(${basename(path)})`, createOperator: () => new FileSinkOperator(path, line, policy, new PartNames(prefix, suffix)) };
}

/** A record's line, without its newline (lines are joined when written). */
function lineOf(format: FileSinkOptions<unknown>["format"], path: string): (record: unknown) => string {
  if (format === "ndjson") return (record) => JSON.stringify(record);
  if (format === "text") return (record) => (typeof record === "string" ? record : JSON.stringify(record));
  return (record) => {
    const text = format(record);
    if (typeof text !== "string") throw new Error(`fileSink ${path}: format returned ${typeof text} for a record; it must return the record's line as a string`);
    return text;
  };
}

/** The part being written: its descriptor and its figures for the rolling policy (`bytes`: those written). */
interface WritingPart extends OpenPart {
  counter: number;
  fd: number;
}

class FileSinkOperator extends BaseOperator {
  private ledger!: Ledger;
  private state!: ListState<FileSinkStateEntry>;
  private checkpointing = false;
  private part?: WritingPart;
  private buffer: string[] = [];
  private bufferChars = 0;
  private flushScheduled = false;
  private timer?: unknown;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly dir: string,
    private readonly line: (record: unknown) => string,
    private readonly policy: RollingPolicy,
    private readonly names: PartNames,
  ) {
    super();
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.checkpointing = ctx.checkpointing;
    this.makeDirectory();
    // Savepoints come without periodic checkpointing too: the parts' bookkeeping is always part of a snapshot.
    this.state = ctx.operatorState.getUnionListState(FILE_SINK_STATE);
    const plan = planRestore(this.state.get(), ctx.subtaskIndex, ctx.parallelism, this.names.parse(this.list()));
    for (const part of plan.remove) rmSync(join(this.dir, this.names.hidden(part)), { force: true });
    this.commit(plan.commit, true);
    this.ledger = plan.ledger;
    this.state.update([stateEntry(this.ledger)]);
  }

  process(record: unknown): void {
    const text = this.line(record);
    const chars = text.length + 1;
    let part = this.part ?? this.startPart();
    if (mightOverflow(part, this.bufferChars, chars, this.policy)) {
      // Near the limit: with what waits written, the record's exact size decides.
      this.flush();
      if (rollsBeforeRecord(part, Buffer.byteLength(text) + 1, this.policy)) {
        this.roll();
        part = this.startPart();
      }
    }
    this.buffer.push(text);
    this.bufferChars += chars;
    if (this.bufferChars > FLUSH_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.guarded(() => this.flush()));
    }
  }

  override onWatermark(): void {}

  /** At the barrier: the part being written is closed, and what closed since the last barrier becomes pending for this checkpoint. */
  snapshotState(ctx: FunctionSnapshotContext): void {
    this.closePart();
    this.ledger = atBarrier(this.ledger, ctx.checkpointId);
    this.state.update([stateEntry(this.ledger)]);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    const { ledger, commit } = checkpointComplete(this.ledger, checkpointId);
    this.ledger = ledger;
    this.commitOwn(commit);
  }

  /** With checkpointing, the last part waits for the final checkpoint (taken after this); without, everything is committed now. */
  override finish(): void {
    if (this.checkpointing) {
      this.roll();
      return;
    }
    this.closePart();
    const { ledger, commit } = endOfInput(this.ledger);
    this.ledger = ledger;
    this.commitOwn(commit);
  }

  /** After a failure or cancellation the hidden part stays as it is: the restore removes it. */
  override close(): void {
    this.clearTimer();
    if (this.part) closeSync(this.part.fd);
    this.part = undefined;
  }

  private startPart(): WritingPart {
    const opened = openPart(this.ledger);
    this.ledger = opened.ledger;
    const file = join(this.dir, this.names.hidden({ index: this.ledger.index, counter: opened.counter }));
    const now = this.ctx.clock.now();
    const part = { counter: opened.counter, fd: openSync(file, "w"), bytes: 0, openedAt: now, lastWriteAt: now };
    this.part = part;
    this.armTimer();
    return part;
  }

  /** Closes the part being written (rolled by size or time); without checkpointing it is committed at once. */
  private roll(): void {
    this.closePart();
    const { ledger, commit } = rollPart(this.ledger, this.checkpointing);
    this.ledger = ledger;
    this.commitOwn(commit);
  }

  /** Writes what waits, syncs and closes the part being written; the ledger still has it open. */
  private closePart(): void {
    if (!this.part) return;
    this.flush();
    fsyncSync(this.part.fd);
    closeSync(this.part.fd);
    this.part = undefined;
    this.clearTimer();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.buffer.length === 0 || !this.part) return;
    const bytes = Buffer.from(`${this.buffer.join("\n")}\n`);
    this.buffer = [];
    this.bufferChars = 0;
    for (let written = 0; written < bytes.length; ) written += writeSync(this.part.fd, bytes, written);
    this.part.bytes += bytes.length;
    this.part.lastWriteAt = this.ctx.clock.now();
  }

  /** One timer for the part's next time-based roll; it re-arms itself when writes moved the deadline. */
  private armTimer(): void {
    if (!this.part) return;
    const at = nextTimeRoll(this.part, this.policy);
    if (!Number.isFinite(at) || at === this.timerAt) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = this.ctx.clock.setTimeout(() => this.guarded(() => this.onRollTimer()), Math.max(0, at - this.ctx.clock.now()));
  }

  private onRollTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (!this.part) return;
    this.flush();
    if (timeRoll(this.part, this.ctx.clock.now(), this.policy)) this.roll();
    else this.armTimer();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private commitOwn(counters: number[]): void {
    this.commit(
      counters.map((counter) => ({ index: this.ledger.index, counter })),
      false,
    );
  }

  /**
   * Renames hidden parts to their visible names and syncs the directory. A part already renamed
   * is fine (a restore commits its checkpoint's parts again); one that is neither fails the job.
   */
  private commit(parts: PartRef[], restoring: boolean): void {
    if (parts.length === 0) return;
    for (const part of parts) {
      const hidden = join(this.dir, this.names.hidden(part));
      const visible = join(this.dir, this.names.visible(part));
      try {
        renameSync(hidden, visible);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`fileSink ${this.dir}: cannot commit ${hidden} as ${visible}: ${(error as Error).message}`);
        if (!exists(visible)) {
          const when = restoring ? "the checkpoint being restored lists it as pending" : "it was written and closed by this subtask";
          throw new UnrecoverableError(`fileSink ${this.dir}: part file ${visible} is gone, and so is ${hidden}; ${when}: was the directory changed outside the job? Restore the file or start the job without its checkpoint`);
        }
      }
    }
    syncDirectory(this.dir);
  }

  private makeDirectory(): void {
    if (exists(this.dir) && !statSync(this.dir).isDirectory()) throw new UnrecoverableError(`fileSink ${this.dir}: it is a file, not a directory; give the sink a directory of its own`);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (error) {
      throw new UnrecoverableError(`fileSink ${this.dir}: cannot create the directory: ${(error as Error).message}`);
    }
  }

  private list(): string[] {
    try {
      return readdirSync(this.dir);
    } catch (error) {
      throw new UnrecoverableError(`fileSink ${this.dir}: cannot list the directory: ${(error as Error).message}`);
    }
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Makes renames in `dir` durable. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
