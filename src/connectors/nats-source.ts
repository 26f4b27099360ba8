// A source reading plain (core) NATS subjects, at most once: every reader subscribes to the
// subject filters in one queue group, named after the job and the source, so the server hands
// each message to one reader of this job and every other job gets its own copy. Core NATS keeps
// nothing, so there is nothing to rewind: a checkpoint holds no position, and what is published
// while no reader is subscribed (before the start, during a restart or a reconnect) or dropped by
// the server for a slow consumer is lost. Messages arrive through a callback into a bounded buffer
// that pollNext empties without an await; when it is full a message is dropped and counted, since
// core NATS cannot hold the publisher back. Decoded with a schema (message-schemas.ts).

import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { UnrecoverableError } from "../core/errors.ts";
import type { NatsLogin } from "../bus/nats-login.ts";
import type { Logger } from "../observability/logger.ts";
import type { Counter } from "../observability/metrics.ts";
import type { InputStatus, Source, SourceOutput, SourceReader, SourceReaderContext } from "../operators/source.ts";
import { BadRecords, type BadRecordOptions } from "./bad-records.ts";
import { deserializerOf, type DeserializationSchema, type Deserializer } from "./message-schemas.ts";

export interface NatsSourceOptions<T> extends BadRecordOptions {
  /** The NATS server(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Credentials and TLS for that server, e.g. `natsLogin({ creds: "/etc/weir/source.creds" })` (default: none). */
  login?: NatsLogin;
  /** The subjects to read, wildcards allowed: `"orders.*"`, `["orders.eu", "orders.us"]`, `"orders.>"`. */
  subjects: string | readonly string[];
  /** How a message becomes a record: "json" (the default), "msgpack", "text" or a function; a throw makes it a bad record (see onBadRecord). */
  schema?: DeserializationSchema<T>;
  /** The queue group the readers share (default: `weir.<job>.<source name>`, so two jobs each read every message). */
  queue?: string;
  /** Messages each reader holds before it drops new ones (default 4096). */
  bufferSize?: number;
}

/** Counts messages a reader dropped because its buffer was full (labels `job`, `source`). */
export const NATS_SOURCE_DROPPED_METRIC = "weir_nats_source_dropped_total";

const DEFAULT_BUFFER = 4096;

/**
 * Reads core NATS subjects at most once: the readers share them through a queue group, and a
 * checkpoint holds no position (core NATS keeps nothing to rewind to).
 * @example
 * env.fromSource(natsSource<Order>({ servers: "nats://127.0.0.1:4222", subjects: "orders.*", schema: "msgpack" }), "Orders");
 */
export function natsSource<T>(options: NatsSourceOptions<T>): Source<T> {
  const subjects = subjectsOf(options.subjects);
  const name = `natsSource ${subjects.join(",")}`;
  const deserialize = deserializerOf<T>(name, { schema: options.schema });
  const limit = options.bufferSize ?? DEFAULT_BUFFER;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`${name}: bufferSize must be an integer >= 1, got ${JSON.stringify(options.bufferSize)}`);
  if (options.queue !== undefined && !isToken(options.queue)) throw new Error(`${name}: queue must be a name without spaces, got ${JSON.stringify(options.queue)}`);
  return {
    parallel: true,
    createReader: (ctx) => new NatsSubjectReader<T>({ ...options, subjects, name, deserialize, limit }, ctx),
  };
}

/** The queue group of a job's source: one per job and source name, so jobs never share messages. */
export function queueGroupOf(jobId: string | undefined, sourceName: string | undefined): string {
  return `weir.${jobId ?? "local"}.${sourceName ?? "natsSource"}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

function isToken(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !/\s/.test(value);
}

function subjectsOf(subjects: string | readonly string[]): string[] {
  const list = typeof subjects === "string" ? [subjects] : subjects;
  if (!Array.isArray(list) || list.length === 0 || !list.every(isToken)) throw new Error(`natsSource: subjects must be a subject or a list of subjects (wildcards allowed, no spaces), got ${JSON.stringify(subjects)}`);
  const repeated = list.find((s, i) => list.indexOf(s) !== i);
  if (repeated !== undefined) throw new Error(`natsSource: subjects lists ${JSON.stringify(repeated)} twice`);
  return [...list];
}

interface ReaderSettings<T> extends NatsSourceOptions<T> {
  subjects: string[];
  name: string;
  deserialize: Deserializer<T>;
  limit: number;
}

/** One subject filter of a reader, with how many messages it has received (a bad record's position). */
interface Filter {
  subject: string;
  received: number;
}

interface Received {
  filter: Filter;
  number: number;
  subject: string;
  data: Uint8Array;
}

class NatsSubjectReader<T> implements SourceReader<T> {
  private nc?: NatsConnection;
  private buffer: Received[] = [];
  private head = 0;
  private readonly queue: string;
  private readonly badRecords: BadRecords;
  private readonly dropped?: Counter;
  private droppedHere = 0;
  private wake?: () => void;
  private failure?: Error;
  private closed = false;

  constructor(
    private readonly settings: ReaderSettings<T>,
    private readonly ctx: SourceReaderContext,
  ) {
    this.queue = settings.queue ?? queueGroupOf(ctx.jobId, ctx.sourceName);
    this.badRecords = new BadRecords(settings.name, "message", settings, ctx);
    this.dropped = ctx.metrics?.counter(NATS_SOURCE_DROPPED_METRIC, { job: ctx.jobId ?? "", source: ctx.sourceName ?? "" });
  }

  /** Subscribes; resolves once the server has every subscription, so what is published after it is read. */
  async open(): Promise<void> {
    const { servers, name } = this.settings;
    try {
      this.nc = await connect({ ...this.settings.login?.options, servers, name: "weir-nats-source", maxReconnectAttempts: -1 });
    } catch (error) {
      throw new Error(`${name}: cannot connect to ${String(servers)}: ${(error as Error).message}`);
    }
    for (const subject of this.settings.subjects) {
      const filter: Filter = { subject, received: 0 };
      this.nc.subscribe(subject, { queue: this.queue, callback: (error, message) => this.receive(filter, error, message) });
    }
    await this.nc.flush();
    void this.watch(this.nc);
  }

  pollNext(output: SourceOutput<T>): InputStatus {
    if (this.failure) throw this.failure;
    if (this.head >= this.buffer.length) return "nothing";
    const next = this.buffer[this.head++];
    if (this.head >= 1024 || this.head === this.buffer.length) this.compact();
    let record: T;
    try {
      record = this.settings.deserialize(next.data, next.subject);
    } catch (error) {
      this.badRecords.reject(output, next.filter.subject, next.number, next.data.slice(), error, next.subject);
      return "more";
    }
    output.collect(record);
    return "more";
  }

  available(): Promise<void> {
    if (this.head < this.buffer.length || this.failure || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Nothing to rewind: core NATS cannot deliver a message again. */
  snapshotState(): unknown[] {
    return [];
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.nc?.close();
    this.notify();
  }

  /** A message, from the connection's read loop: buffered, or dropped and counted when the buffer is full. */
  private receive(filter: Filter, error: Error | null, message: Msg): void {
    if (error) {
      this.fail(new UnrecoverableError(`${this.settings.name}: the server refused the subscription to ${filter.subject} (queue ${this.queue}): ${error.message}; allow this source's NATS user to subscribe to it`));
      return;
    }
    filter.received += 1;
    if (this.buffer.length - this.head >= this.settings.limit) {
      this.drop(message.subject);
      return;
    }
    this.buffer.push({ filter, number: filter.received, subject: message.subject, data: message.data });
    if (this.wake) this.notify();
  }

  private drop(subject: string): void {
    this.dropped?.inc();
    this.droppedHere += 1;
    if (this.droppedHere === 1) {
      this.ctx.log?.warn(
        { source: this.settings.name, subtask: this.ctx.subtaskIndex, subject, bufferSize: this.settings.limit, metric: NATS_SOURCE_DROPPED_METRIC },
        "natsSource: the buffer is full, so messages are dropped (core NATS cannot hold publishers back); give the job more parallelism or a larger bufferSize, or read from JetStream",
      );
    }
  }

  /** Says when the connection drops and comes back (what is published meanwhile is lost), and fails the reader when it closes for good. */
  private async watch(nc: NatsConnection): Promise<void> {
    const log: Logger | undefined = this.ctx.log;
    void nc.closed().then((error) => {
      if (!this.closed) this.fail(new Error(`${this.settings.name}: the connection to ${String(this.settings.servers)} closed${error ? `: ${error.message}` : ""}`));
    });
    for await (const status of nc.status()) {
      if (status.type === "disconnect") log?.warn({ source: this.settings.name, server: status.server }, "natsSource: disconnected from NATS; messages published until it reconnects are lost");
      else if (status.type === "reconnect") log?.info({ source: this.settings.name, server: status.server }, "natsSource: reconnected to NATS");
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private compact(): void {
    if (this.head === this.buffer.length) this.buffer = [];
    else this.buffer.splice(0, this.head);
    this.head = 0;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
