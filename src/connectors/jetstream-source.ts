// A source reading a NATS JetStream stream, exactly once with checkpointing: each split is one
// subject filter of the stream (or the whole stream), read in order by an ordered consumer the
// reader creates and deletes, and its position (the next stream sequence) is part of every
// checkpoint, so a restore — after a failure, or from a savepoint at any parallelism — reads on
// from exactly there. The split enumerator (jetstream-enumerator.ts) hands each reader the splits
// it owns when it asks, and fresh splits start where `startAt` says. Messages are pulled into a
// bounded buffer by the consumers and handed out by pollNext without awaiting, decoded as they
// go (message-schemas.ts), so an undecodable one fails the job or becomes a dead letter at its own
// position. Bounded: each split ends once it has caught up with its subject (no message pending),
// and is released so that its watermark no longer holds the reader's back.

import { randomBytes } from "node:crypto";
import { UnrecoverableError } from "../core/errors.ts";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsLogin } from "../bus/nats-login.ts";
import type { InputStatus, Source, SourceOutput, SourceReader, SourceReaderContext } from "../operators/source.ts";
import { BadRecords, type BadRecordOptions } from "./bad-records.ts";
import { deserializerOf, type DeserializationSchema, type Deserializer } from "./message-schemas.ts";
import { JetStreamSplitEnumerator } from "./jetstream-enumerator.ts";
import { restoredJetStreamSplit, startPosition, subjectFilters, type JetStreamSplit, type JetStreamStartAt, type ResolvedStart } from "./jetstream-splits.ts";

export type { JetStreamStartAt } from "./jetstream-splits.ts";

export interface JetStreamSourceOptions<T> extends BadRecordOptions {
  /** The NATS server(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Credentials and TLS for that server, e.g. `natsLogin({ creds: "/etc/weir/source.creds" })` (default: none). */
  login?: NatsLogin;
  stream: string;
  /** Subject filters of the stream, one split each (default: the whole stream as one split). */
  subjects?: readonly string[];
  /** Where fresh splits start (default: "earliest"); splits restored from a checkpoint or savepoint read on from their position. */
  startAt?: JetStreamStartAt;
  /** How a message becomes a record: "json" (the default), "msgpack", "text" or a function; a throw makes it a bad record (see onBadRecord). */
  schema?: DeserializationSchema<T>;
  /** The same as a function `schema` (kept for existing jobs); give one of the two. */
  deserialize?: Deserializer<T>;
  /** End each split once it has caught up (default: false, read forever). */
  bounded?: boolean;
}

/** Messages buffered per reader before the consumers are paused. */
const BUFFER_LIMIT = 4096;
/** A reader with no answer to its split request this long asks again (a request may be lost on a reconnect). */
const ASK_AGAIN_MS = 2000;
/** An idle reader wakes this often, so a subtask canceled meanwhile closes it (and deletes its consumers) soon. */
const IDLE_WAKE_MS = 1000;
/** The server deletes a consumer whose reader vanished (a killed process) after this long without interest. */
const INACTIVE_THRESHOLD_MS = 60_000;

/**
 * Reads a JetStream stream, one split per subject filter, exactly once with checkpointing.
 * @example
 * env.fromSource(jetStreamSource<Order>({ servers: "nats://127.0.0.1:4222", stream: "ORDERS", subjects: ["orders.eu", "orders.us"], startAt: "latest" }), "Orders");
 */
export function jetStreamSource<T>(options: JetStreamSourceOptions<T>): Source<T> {
  if (!options.stream) throw new Error("jetStreamSource: stream must name a JetStream stream");
  const subjects = subjectFilters(options.subjects);
  const start = startPosition(options.startAt);
  const name = `jetStreamSource ${options.stream}`;
  const deserialize = deserializerOf(name, options);
  return {
    parallel: true,
    createReader: (ctx) => new JetStreamReader<T>(options, deserialize, ctx, new BadRecords(name, "sequence", options, ctx)),
    createEnumerator: (ctx, restored) => new JetStreamSplitEnumerator({ name, subjects, start, lookUpStart: (s) => lookUpStart(options, s) }, ctx, restored),
  };
}

/** The stream sequence a `latest` or `time` start position stands for, asked of the server once. */
async function lookUpStart(options: JetStreamSourceOptions<unknown>, start: ResolvedStart): Promise<number> {
  const { servers, stream } = options;
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ ...options.login?.options, servers, name: "weir-jetstream-source-enumerator" });
    const jsm = await jetstreamManager(nc);
    if (start.kind === "sequence") return start.sequence;
    if (start.kind === "latest") return (await jsm.streams.info(stream)).state.last_seq + 1;
    // The server finds the first message at or after the time for a consumer starting there; it is deleted at once.
    const probe = await jsm.consumers.add(stream, {
      name: `weir-start-${randomBytes(6).toString("hex")}`,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: start.time.toISOString(),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      inactive_threshold: INACTIVE_THRESHOLD_MS * 1_000_000,
    });
    await jsm.consumers.delete(stream, probe.name).catch(() => undefined);
    return probe.delivered.stream_seq + 1;
  } catch (error) {
    throw new Error(`jetStreamSource: cannot find where ${JSON.stringify(stream)} starts (startAt ${start.kind}) on ${String(servers)}: ${(error as Error).message}`);
  } finally {
    await nc?.close();
  }
}

interface Buffered {
  split: JetStreamSplit;
  seq: number;
  subject: string;
  data: Uint8Array;
  /** Bounded: the split's last message; once it is handed out the split is released. */
  last: boolean;
}

class JetStreamReader<T> implements SourceReader<T> {
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  /** The splits this reader has, ended or not. */
  private readonly splits: JetStreamSplit[];
  private readonly buffer: Buffered[] = [];
  private head = 0;
  private readonly ended = new Set<JetStreamSplit>();
  /** Bounded splits that ended with no message left to hand out: released at the next poll. */
  private releasable: JetStreamSplit[] = [];
  /** The consumers reading, deleted when their split ends and on close. */
  private readonly consumers = new Set<{ consumer: Consumer; messages?: ConsumerMessages }>();
  private noMoreSplits: boolean;
  /** When the pending split request was sent (undefined: none pending). */
  private askedAt?: number;
  private wake?: () => void;
  private timer?: unknown;
  /** Pumps waiting for room in the buffer. */
  private spaceWaiters: (() => void)[] = [];
  private failure?: Error;
  private closed = false;
  private readonly namePrefix: string;

  constructor(
    private readonly options: JetStreamSourceOptions<T>,
    private readonly deserialize: Deserializer<T>,
    private readonly ctx: SourceReaderContext,
    private readonly badRecords: BadRecords,
  ) {
    this.splits = (ctx.restoredSplits ?? []).map((s) => restoredJetStreamSplit(`jetStreamSource ${options.stream}`, s));
    // Built by hand, without an enumerator: it reads the splits it was given, then ends.
    this.noMoreSplits = ctx.sendSplitRequest === undefined;
    this.namePrefix = `weir-${ctx.jobId ?? "local"}-${ctx.subtaskIndex}-${randomBytes(4).toString("hex")}`.replace(/[^A-Za-z0-9_-]/g, "_");
  }

  async open(): Promise<void> {
    const { servers, stream } = this.options;
    try {
      this.nc = await connect({ ...this.options.login?.options, servers, name: "weir-jetstream-source" });
      await (await jetstreamManager(this.nc)).streams.info(stream);
    } catch (error) {
      await this.nc?.close();
      const reason = (error as Error).message;
      const Failure = /stream not found/.test(reason) ? UnrecoverableError : Error;
      throw new Failure(`jetStreamSource: cannot read stream ${JSON.stringify(stream)} on ${String(servers)}: ${reason}`);
    }
    this.js = jetstream(this.nc);
    for (const split of this.splits) this.startReading(split);
  }

  addSplits(splits: unknown[]): void {
    for (const value of splits) {
      const split = restoredJetStreamSplit(`jetStreamSource ${this.options.stream}`, value);
      // Restored from a checkpoint taken before the source had an enumerator: the subject is read on from the checkpoint.
      if (this.splits.some((s) => s.subject === split.subject)) continue;
      this.splits.push(split);
      if (this.js) this.startReading(split);
    }
    this.askedAt = undefined;
    this.notify();
  }

  notifyNoMoreSplits(): void {
    this.noMoreSplits = true;
    this.askedAt = undefined;
    this.notify();
  }

  pollNext(output: SourceOutput<T>): InputStatus {
    if (this.failure) throw this.failure;
    if (this.releasable.length > 0) this.releaseEnded(output);
    if (this.head < this.buffer.length) {
      const next = this.buffer[this.head++];
      next.split.nextSeq = next.seq + 1;
      if (next.last) this.releasable.push(next.split);
      let record: T;
      try {
        record = this.deserialize(next.data, next.subject);
      } catch (error) {
        this.badRecords.reject(output, next.split.subject, next.seq, next.data.slice(), error, next.subject);
        return "more";
      }
      output.forSplit(next.split.subject).collect(record);
      if (this.head >= 1024 || this.head === this.buffer.length) this.compact();
      return "more";
    }
    if (!this.noMoreSplits && (this.askedAt === undefined || this.ctx.clock.now() - this.askedAt >= ASK_AGAIN_MS)) {
      this.askedAt = this.ctx.clock.now();
      this.ctx.sendSplitRequest!();
    }
    return this.noMoreSplits && this.ended.size === this.splits.length ? "end" : "nothing";
  }

  available(): Promise<void> {
    if (this.head < this.buffer.length || this.releasable.length > 0 || this.failure || (this.noMoreSplits && this.ended.size === this.splits.length)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = this.ctx.clock.setTimeout(() => {
        this.timer = undefined;
        this.notify();
      }, IDLE_WAKE_MS);
    });
  }

  snapshotState(): unknown[] {
    // Positions of what was emitted; an ended split has nothing more to read.
    return this.splits.filter((s) => !this.ended.has(s) || this.pendingFor(s)).map((s) => ({ ...s }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.releaseSpace();
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.consumers].map((c) => this.release(c)));
    await this.nc?.close();
    this.notify();
  }

  /** Reads one split in the background; a failure fails the subtask at the next poll. */
  private startReading(split: JetStreamSplit): void {
    void this.read(split)
      .catch((error: unknown) => {
        if (!this.closed) this.failure ??= new Error(`jetStreamSource: reading ${split.subject} of ${this.options.stream} failed: ${(error as Error).message}`);
      })
      .finally(() => this.notify());
  }

  /** Creates the split's ordered consumer at its position and moves its messages into the buffer, pausing while it is full. */
  private async read(split: JetStreamSplit): Promise<void> {
    const consumer = await this.js!.consumers.get(this.options.stream, {
      name_prefix: `${this.namePrefix}-${this.splits.indexOf(split)}`,
      filter_subjects: split.subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: split.nextSeq,
      inactive_threshold: INACTIVE_THRESHOLD_MS,
    });
    const entry: { consumer: Consumer; messages?: ConsumerMessages } = { consumer };
    this.consumers.add(entry);
    try {
      if (this.closed) return;
      if (this.options.bounded && (await consumer.info(true)).num_pending === 0) {
        this.ended.add(split);
        this.releasable.push(split);
        return;
      }
      const messages = (entry.messages = await consumer.consume({ max_messages: 512 }));
      for await (const message of messages) {
        const last = this.options.bounded === true && message.info.pending === 0;
        this.buffer.push({ split, seq: message.seq, subject: message.subject, data: message.data, last });
        this.notify();
        if (last) {
          this.ended.add(split);
          break;
        }
        while (this.buffer.length - this.head >= BUFFER_LIMIT && !this.closed) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
        if (this.closed) break;
      }
      if (!this.closed && !this.ended.has(split)) throw new Error("its consumer stopped delivering");
    } finally {
      await this.release(entry);
    }
  }

  /** Stops a consumer and deletes it on the server (best effort: the server drops it anyway once inactive). */
  private async release(entry: { consumer: Consumer; messages?: ConsumerMessages }): Promise<void> {
    if (!this.consumers.delete(entry)) return;
    entry.messages?.stop();
    await entry.consumer.delete().catch(() => undefined);
  }

  /** Ended splits whose every message was handed out: their watermarks no longer hold the reader's back. */
  private releaseEnded(output: SourceOutput<T>): void {
    for (const split of this.releasable) output.releaseSplit(split.subject);
    this.releasable = [];
  }

  private pendingFor(split: JetStreamSplit): boolean {
    for (let i = this.head; i < this.buffer.length; i++) if (this.buffer[i].split === split) return true;
    return false;
  }

  /** Drops what was handed out; pumps waiting for room go on once half the buffer is free. */
  private compact(): void {
    this.buffer.splice(0, this.head);
    this.head = 0;
    if (this.buffer.length <= BUFFER_LIMIT / 2) this.releaseSpace();
  }

  private releaseSpace(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private notify(): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
