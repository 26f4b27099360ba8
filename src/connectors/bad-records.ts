// What a source does with a record it cannot decode: fail the job with an error that names the
// source, the split and the position (the default), or send a dead letter to a side output and
// count it. Never a silent drop. Receives the failed decode; sends a throw or a side record.

import { UnrecoverableError } from "../core/errors.ts";
import { OutputTag } from "../core/output-tag.ts";
import type { Counter } from "../observability/metrics.ts";
import type { SourceOutput, SourceReaderContext } from "../operators/source.ts";

/** "fail" (the default) fails the job; "dead-letter" sends the record to the dead-letter side output. */
export type BadRecordPolicy = "fail" | "dead-letter";

/** A record a source could not decode, as it arrives on the dead-letter side output. */
export interface DeadLetter {
  /** The source, e.g. `fileSource /data/in`, `jetStreamSource ORDERS` or `natsSource orders.>`. */
  source: string;
  /** The split: a file's path, or a NATS subject filter. */
  split: string;
  /** Where in the split: a file's byte offset, a JetStream stream sequence, or (core NATS) the message's number among those the subtask received on the filter. */
  position: number;
  /** NATS sources: the message's subject. */
  subject?: string;
  /** The undecoded record: a line's text, or a message's bytes. */
  raw: string | Uint8Array;
  /** Why it could not be decoded. */
  error: string;
}

/**
 * The default side output for dead letters: `stream.getSideOutput(DEAD_LETTERS)`.
 * @example
 * const lines = env.fromSource(fileSource({ path: "/data/in", format: "ndjson", onBadRecord: "dead-letter" }), "Orders");
 * lines.getSideOutput(DEAD_LETTERS).print();
 */
export const DEAD_LETTERS = new OutputTag<DeadLetter>("dead-letters");

/** Counts dead letters per job and source (labels `job`, `source`: the name given to fromSource). */
export const DEAD_LETTERS_METRIC = "weir_source_dead_letters_total";

export interface BadRecordOptions {
  /** What to do with a record that cannot be decoded (default: "fail"). */
  onBadRecord?: BadRecordPolicy;
  /** The side output dead letters go to (default: DEAD_LETTERS). */
  deadLetterTag?: OutputTag<DeadLetter>;
}

/** A source's bad records, handled as configured: one per reader, built when the reader is. */
export class BadRecords {
  private readonly counter?: Counter;
  private readonly tag: string;

  constructor(
    private readonly source: string,
    /** How positions read in errors: "byte" or "sequence". */
    private readonly unit: string,
    private readonly options: BadRecordOptions,
    ctx: SourceReaderContext,
  ) {
    const policy = options.onBadRecord ?? "fail";
    if (policy !== "fail" && policy !== "dead-letter") throw new Error(`${source}: onBadRecord must be "fail" or "dead-letter", got ${JSON.stringify(policy)}`);
    this.tag = (options.deadLetterTag ?? DEAD_LETTERS).id;
    if (policy === "dead-letter") this.counter = ctx.metrics?.counter(DEAD_LETTERS_METRIC, { job: ctx.jobId ?? "", source: ctx.sourceName ?? "" });
  }

  /**
   * Throws the named error, or emits the dead letter; the caller then goes on after the record.
   * Unrecoverable: a restart reads the same record again, so restarting would loop without end.
   */
  reject(output: SourceOutput<unknown>, split: string, position: number, raw: string | Uint8Array, error: unknown, subject?: string): void {
    const reason = error instanceof Error ? error.message : String(error);
    if ((this.options.onBadRecord ?? "fail") === "fail") {
      const on = subject === undefined || subject === split ? "" : ` (subject ${subject})`;
      throw new UnrecoverableError(`${this.source}: cannot decode the record at ${this.unit} ${position} of ${split}${on}: ${reason} (onBadRecord: "dead-letter" sends such records to a side output)`);
    }
    const letter: DeadLetter = subject === undefined ? { source: this.source, split, position, raw, error: reason } : { source: this.source, split, subject, position, raw, error: reason };
    output.collectSide(this.tag, letter);
    this.counter?.inc();
  }
}
