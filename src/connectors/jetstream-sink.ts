// A sink publishing records to a NATS JetStream stream, exactly once with checkpointing: records
// are staged at each barrier and published once that checkpoint has completed, each with a
// `Nats-Msg-Id` made of the sink id, the job that staged it, the subtask and the record's position
// in that subtask's input. A restore publishes the epochs it brings back again under the same
// ids, a replay gives the records after it the same positions, and the server drops what it
// already has — as long as it still remembers the ids, which it does for the stream's duplicate
// window; the sink refuses a window too short for the job.

import { UnrecoverableError } from "../core/errors.ts";
import type { NatsLogin } from "../bus/nats-login.ts";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type PubAck } from "@nats-io/jetstream";
import type { OperatorContext } from "../operators/operator.ts";
import type { SinkConnector } from "./sink-connector.ts";
import { type StagedEpoch, WriteAheadSink } from "./write-ahead-sink.ts";

export interface JetStreamSinkOptions<T> {
  /** The NATS server(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Credentials and TLS for that server, e.g. `natsLogin({ creds: "/etc/weir/sink.creds" })` (default: none). */
  login?: NatsLogin;
  /** The stream the records go into; it must exist and hold the subjects published to. */
  stream: string;
  /** The subject of every record, or a function giving each record's subject. */
  subject: string | ((record: T) => string);
  /** A record's message data (default: the record as JSON). */
  serialize?: (record: T) => Uint8Array | string;
  /** Starts every message id (default: the stream); keep it when the job restarts from a savepoint. */
  sinkId?: string;
}

interface Outgoing {
  subject: string;
  data: Uint8Array;
}

/** Publishes in flight at once: enough to keep the connection busy, few enough to bound memory. */
const IN_FLIGHT = 256;

/** The shortest duplicate window accepted: a restore must come long enough before the server forgets. */
const MIN_WINDOW_MS = 30_000;
const MIN_WINDOW_INTERVALS = 4;

const encoder = new TextEncoder();

/**
 * Publishes a stream into a JetStream stream, exactly once with checkpointing.
 * @example
 * counts.sinkTo(jetStreamSink<Count>({ servers: "nats://127.0.0.1:4222", stream: "COUNTS", subject: (c) => `counts.${c.word}` }));
 */
export function jetStreamSink<T>(options: JetStreamSinkOptions<T>): SinkConnector<T> {
  const problems: string[] = [];
  if (typeof options.stream !== "string" || options.stream.length === 0) problems.push("stream must name a JetStream stream");
  if (typeof options.subject !== "function" && (typeof options.subject !== "string" || options.subject.length === 0)) problems.push("subject must be a subject or a function from a record to its subject");
  if (options.serialize !== undefined && typeof options.serialize !== "function") problems.push("serialize must be a function from a record to its data");
  if (problems.length > 0) throw new Error(`jetStreamSink: ${problems.join("; ")}`);
  const sinkId = options.sinkId ?? options.stream;
  return { name: `JetStreamSink(${options.stream})`, createOperator: () => new JetStreamSinkOperator(options as JetStreamSinkOptions<unknown>, sinkId) };
}

/** The shortest duplicate window accepted for a checkpoint interval: it must outlast a publish's replay after a restore. */
function shortestDuplicateWindowMs(checkpointIntervalMs: number): number {
  return Math.max(MIN_WINDOW_MS, MIN_WINDOW_INTERVALS * checkpointIntervalMs);
}

class JetStreamSinkOperator extends WriteAheadSink<Outgoing> {
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private readonly subjectOf: (record: unknown) => string;
  /** The stream's subjects, for errors. */
  private subjects: readonly string[] = [];
  private readonly serialize: (record: unknown) => Uint8Array | string;

  constructor(
    private readonly options: JetStreamSinkOptions<unknown>,
    private readonly sinkId: string,
  ) {
    super("weir.jetstream-sink");
    const { subject } = options;
    this.subjectOf = typeof subject === "function" ? subject : () => subject;
    this.serialize = options.serialize ?? ((record) => JSON.stringify(record));
  }

  protected describe(): string {
    return `jetStreamSink ${this.sinkId} (stream ${JSON.stringify(this.options.stream)})`;
  }

  protected async connect(ctx: OperatorContext): Promise<void> {
    const { servers, stream } = this.options;
    let windowMs: number;
    try {
      this.nc = await connect({ ...this.options.login?.options, servers, name: "weir-jetstream-sink" });
      const { config } = await (await jetstreamManager(this.nc)).streams.info(stream);
      windowMs = config.duplicate_window / 1e6;
      this.subjects = config.subjects ?? [];
    } catch (error) {
      await this.disconnect();
      const reason = (error as Error).message;
      const Failure = /stream not found/.test(reason) ? UnrecoverableError : Error;
      throw new Failure(`${this.describe()}: cannot publish on ${String(servers)}: ${reason}`);
    }
    this.js = jetstream(this.nc);
    if (!ctx.checkpointing || ctx.checkpointIntervalMs === undefined) return;
    const shortest = shortestDuplicateWindowMs(ctx.checkpointIntervalMs);
    if (windowMs < shortest) {
      await this.disconnect();
      throw new UnrecoverableError(
        `${this.describe()}: the stream's duplicate window (${seconds(windowMs)}) is shorter than ${seconds(shortest)}, the least this sink accepts with checkpoints every ${seconds(ctx.checkpointIntervalMs)} ` +
          `(the greater of ${seconds(MIN_WINDOW_MS)} and ${MIN_WINDOW_INTERVALS} intervals): records republished after a failure could be stored twice; raise the stream's duplicate_window`,
      );
    }
  }

  protected async disconnect(): Promise<void> {
    await this.nc?.close();
    this.nc = undefined;
  }

  protected toItem(record: unknown): Outgoing {
    const data = this.serialize(record);
    return { subject: this.subjectOf(record), data: typeof data === "string" ? encoder.encode(data) : data };
  }

  protected async writeEpoch(epoch: StagedEpoch<Outgoing>): Promise<void> {
    const prefix = messageIdPrefix(this.sinkId, epoch);
    const acks = await this.publishAll(epoch.items, (i) => `${prefix}${epoch.firstPosition + i}`);
    const duplicates = acks.filter((ack) => ack.duplicate).length;
    if (duplicates > 0) this.ctx.log.info({ sink: this.sinkId, stream: this.options.stream, epoch: epoch.epoch, origin: epoch.origin, duplicates, published: acks.length }, "jetstream sink: the server dropped records it already had (a replay after a restore)");
  }

  protected async writeDirect(items: Outgoing[]): Promise<void> {
    await this.publishAll(items, undefined);
  }

  /** Publishes in order, up to IN_FLIGHT at a time; each must be stored in the sink's stream. */
  private async publishAll(items: readonly Outgoing[], msgIdOf: ((position: number) => string) | undefined): Promise<PubAck[]> {
    const acks: PubAck[] = [];
    const expect = { streamName: this.options.stream };
    for (let start = 0; start < items.length; start += IN_FLIGHT) {
      const window = items.slice(start, start + IN_FLIGHT).map(({ subject, data }, i) =>
        this.js!.publish(subject, data, msgIdOf ? { msgID: msgIdOf(start + i), expect } : { expect }).catch((error: Error) => {
          throw new Error(`publishing to ${subject} was refused: ${refusal(error, this.subjects)}`);
        }),
      );
      acks.push(...(await Promise.all(window)));
    }
    return acks;
  }
}

/** `<sinkId>:<jobId>:<subtask>:` — with the record's position, the same however often it is published. */
function messageIdPrefix(sinkId: string, epoch: StagedEpoch<unknown>): string {
  return `${sinkId}:${epoch.jobId}:${epoch.origin}:`;
}

/** The server's reason; "no responders" (which nats.js calls "jetstream is not enabled") means no stream stores the subject. */
function refusal(error: Error, subjects: readonly string[]): string {
  if (error.name !== "JetStreamNotEnabled") return error.message;
  return `no stream stores that subject (the sink's stream stores ${subjects.join(", ") || "no subjects"})`;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
