// A source reading a NATS JetStream stream, exactly once with checkpointing: each split is one
// subject filter of the stream, read in order by an ordered consumer, and its position (the next
// stream sequence) is part of every checkpoint, so a restore reads on from exactly there.
// Splits are spread over the subtasks (subject i to subtask i mod parallelism). Messages are
// pulled into a bounded buffer by the consumer and handed out by pollNext without awaiting.
// Bounded: each split ends once it has caught up with its subject (no message pending).
// Messages are decoded as pollNext hands them out, so an undecodable one fails the job or becomes
// a dead letter at its own position in the split.

import { UnrecoverableError } from "../core/errors.ts";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import type { NatsLogin } from "../bus/nats-login.ts";
import type { InputStatus, Source, SourceOutput, SourceReader, SourceReaderContext } from "../operators/source.ts";
import { BadRecords, type BadRecordOptions } from "./bad-records.ts";

export interface JetStreamSourceOptions<T> extends BadRecordOptions {
  /** The NATS server(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Credentials and TLS for that server, e.g. `natsLogin({ creds: "/etc/weir/source.creds" })` (default: none). */
  login?: NatsLogin;
  stream: string;
  /** Subject filters of the stream, one split each (default: the whole stream as one split). */
  subjects?: readonly string[];
  /** A message's record (default: its data parsed as JSON); a throw makes it a bad record (see onBadRecord). */
  deserialize?: (data: Uint8Array, subject: string) => T;
  /** End each split once it has caught up (default: false, read forever). */
  bounded?: boolean;
}

interface JetStreamSplit {
  subject: string;
  /** The stream sequence to read next (1: from the start). */
  nextSeq: number;
}

/** Messages buffered per reader before the consumers are paused. */
const BUFFER_LIMIT = 4096;

const decoder = new TextDecoder();

export function jetStreamSource<T>(options: JetStreamSourceOptions<T>): Source<T> {
  if (!options.stream) throw new Error("jetStreamSource: stream must name a JetStream stream");
  if (options.subjects !== undefined && (options.subjects.length === 0 || options.subjects.some((s) => !s))) throw new Error("jetStreamSource: subjects must list at least one subject filter");
  const subjects = options.subjects ?? [">"];
  const deserialize = options.deserialize ?? ((data: Uint8Array) => JSON.parse(decoder.decode(data)) as T);
  return {
    parallel: true,
    createReader: (ctx) => new JetStreamReader<T>(options, deserialize, initialSplits(subjects, ctx), new BadRecords(`jetStreamSource ${options.stream}`, "sequence", options, ctx)),
  };
}

function initialSplits(subjects: readonly string[], ctx: SourceReaderContext): JetStreamSplit[] {
  if (ctx.restoredSplits !== undefined) return (ctx.restoredSplits as JetStreamSplit[]).map((s) => ({ ...s }));
  return subjects.filter((_, i) => i % ctx.parallelism === ctx.subtaskIndex).map((subject) => ({ subject, nextSeq: 1 }));
}

interface Buffered {
  split: JetStreamSplit;
  seq: number;
  subject: string;
  data: Uint8Array;
}

class JetStreamReader<T> implements SourceReader<T> {
  private nc?: NatsConnection;
  private readonly buffer: Buffered[] = [];
  private head = 0;
  private readonly running = new Map<JetStreamSplit, ConsumerMessages>();
  private readonly ended = new Set<JetStreamSplit>();
  private wake?: () => void;
  /** Pumps waiting for room in the buffer. */
  private spaceWaiters: (() => void)[] = [];
  private failure?: Error;
  private closed = false;

  constructor(
    private readonly options: JetStreamSourceOptions<T>,
    private readonly deserialize: (data: Uint8Array, subject: string) => T,
    private readonly splits: JetStreamSplit[],
    private readonly badRecords: BadRecords,
  ) {}

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
    const js = jetstream(this.nc);
    for (const split of this.splits) {
      const consumer = await js.consumers.get(stream, { filter_subjects: split.subject, deliver_policy: "by_start_sequence", opt_start_seq: split.nextSeq });
      if (this.options.bounded && (await consumer.info()).num_pending === 0) {
        this.ended.add(split);
        continue;
      }
      const messages = await consumer.consume({ max_messages: 512 });
      this.running.set(split, messages);
      void this.pump(split, messages);
    }
  }

  /** Moves one split's messages into the buffer, pausing while it is full. */
  private async pump(split: JetStreamSplit, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const message of messages) {
        this.buffer.push({ split, seq: message.seq, subject: message.subject, data: message.data });
        this.notify();
        if (this.options.bounded && message.info.pending === 0) break;
        while (this.buffer.length - this.head >= BUFFER_LIMIT && !this.closed) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
        if (this.closed) break;
      }
    } catch (error) {
      this.failure ??= new Error(`jetStreamSource: reading ${split.subject} of ${this.options.stream} failed: ${(error as Error).message}`);
    }
    if (this.options.bounded) this.ended.add(split);
    this.running.delete(split);
    messages.stop();
    this.notify();
  }

  pollNext(output: SourceOutput<T>): InputStatus {
    if (this.failure) throw this.failure;
    if (this.head < this.buffer.length) {
      const next = this.buffer[this.head++];
      next.split.nextSeq = next.seq + 1;
      let record: T;
      try {
        record = this.deserialize(next.data, next.subject);
      } catch (error) {
        this.badRecords.reject(output, next.split.subject, next.seq, next.data.slice(), error);
        return "more";
      }
      output.forSplit(next.split.subject).collect(record);
      if (this.head >= 1024 || this.head === this.buffer.length) this.compact();
      return "more";
    }
    return this.ended.size === this.splits.length ? "end" : "nothing";
  }

  available(): Promise<void> {
    if (this.head < this.buffer.length || this.failure || this.ended.size === this.splits.length) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  snapshotState(): unknown[] {
    // Positions of what was emitted; an ended split has nothing more to read.
    return this.splits.filter((s) => !this.ended.has(s) || this.pendingFor(s)).map((s) => ({ ...s }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.releaseSpace();
    for (const messages of this.running.values()) messages.stop();
    await this.nc?.close();
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
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
