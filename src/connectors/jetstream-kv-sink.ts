// A sink upserting keyed results into a NATS JetStream KV bucket: key → value, last write wins.
// With checkpointing, each key's last value of a checkpoint interval is staged at the barrier and
// put once that checkpoint has completed, so the bucket only ever holds values of completed
// checkpoints; a restore puts the epochs it brings back again — the same values, so a replayed
// put changes nothing but the key's revision. Without checkpointing, values are put as they come.

import { UnrecoverableError } from "../core/errors.ts";
import type { NatsLogin } from "../bus/nats-login.ts";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { SinkConnector } from "./sink-connector.ts";
import { type StagedEpoch, WriteAheadSink } from "./write-ahead-sink.ts";

export interface JetStreamKvSinkOptions<T> {
  /** The NATS server(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Credentials and TLS for that server, e.g. `natsLogin({ creds: "/etc/weir/sink.creds" })` (default: none). */
  login?: NatsLogin;
  /** The KV bucket; it must exist. */
  bucket: string;
  /** A record's key: letters, digits, `-`, `_`, `/`, `=`, and `.` between tokens. */
  key: (record: T) => string;
  /** A record's value (default: the record as JSON). */
  value?: (record: T) => Uint8Array | string;
  /** Names this sink in logs and errors (default: the bucket). */
  sinkId?: string;
}

type Entry = [key: string, value: Uint8Array];

/** Puts in flight at once. */
const IN_FLIGHT = 256;
const VALID_KEY = /^[-/=.\w]+$/;

const encoder = new TextEncoder();

/**
 * Upserts keyed results into a JetStream KV bucket; with checkpointing it holds exactly the values of completed checkpoints.
 * @example
 * counts.sinkTo(jetStreamKvSink<Count>({ servers: "nats://127.0.0.1:4222", bucket: "word-counts", key: (c) => c.word, value: (c) => String(c.count) }));
 */
export function jetStreamKvSink<T>(options: JetStreamKvSinkOptions<T>): SinkConnector<T> {
  const problems: string[] = [];
  if (typeof options.bucket !== "string" || !/^[-\w]+$/.test(options.bucket)) problems.push("bucket must name a KV bucket (letters, digits, '-' and '_')");
  if (typeof options.key !== "function") problems.push("key must be a function from a record to its key");
  if (options.value !== undefined && typeof options.value !== "function") problems.push("value must be a function from a record to its value");
  if (problems.length > 0) throw new Error(`jetStreamKvSink: ${problems.join("; ")}`);
  const sinkId = options.sinkId ?? options.bucket;
  return { name: `JetStreamKvSink(${options.bucket})`, createOperator: () => new JetStreamKvSinkOperator(options as JetStreamKvSinkOptions<unknown>, sinkId) };
}

class JetStreamKvSinkOperator extends WriteAheadSink<Entry> {
  private nc?: NatsConnection;
  private kv?: KV;
  private readonly valueFor: (record: unknown) => Uint8Array | string;

  constructor(
    private readonly options: JetStreamKvSinkOptions<unknown>,
    private readonly sinkId: string,
  ) {
    super("weir.jetstream-kv-sink");
    this.valueFor = options.value ?? ((record) => JSON.stringify(record));
  }

  protected describe(): string {
    return `jetStreamKvSink ${this.sinkId} (bucket ${JSON.stringify(this.options.bucket)})`;
  }

  protected async connect(): Promise<void> {
    const { servers, bucket } = this.options;
    try {
      this.nc = await connect({ ...this.options.login?.options, servers, name: "weir-jetstream-kv-sink" });
      this.kv = await new Kvm(jetstream(this.nc)).open(bucket);
      await this.kv.status();
    } catch (error) {
      await this.disconnect();
      const reason = (error as Error).message;
      if (/stream not found/.test(reason)) throw new UnrecoverableError(`${this.describe()}: cannot use the bucket on ${String(servers)}: bucket not found`);
      throw new Error(`${this.describe()}: cannot use the bucket on ${String(servers)}: ${reason}`);
    }
  }

  protected async disconnect(): Promise<void> {
    await this.nc?.close();
    this.nc = undefined;
  }

  protected toItem(record: unknown): Entry {
    const key = this.options.key(record);
    if (typeof key !== "string" || !VALID_KEY.test(key) || key.startsWith(".") || key.endsWith(".")) {
      throw new Error(`${this.describe()}: ${JSON.stringify(key)} is not a valid key (use letters, digits, '-', '_', '/', '=', and '.' between tokens)`);
    }
    const value = this.valueFor(record);
    return [key, typeof value === "string" ? encoder.encode(value) : value];
  }

  /** Each key's last value of the interval: the only one a reader of the bucket could see after the commit. */
  protected override compact(entries: Entry[]): Entry[] {
    return [...new Map(entries).entries()];
  }

  protected async writeEpoch(epoch: StagedEpoch<Entry>): Promise<void> {
    await this.putAll(epoch.items);
  }

  protected async writeDirect(entries: Entry[]): Promise<void> {
    await this.putAll(this.compact(entries));
  }

  private async putAll(entries: readonly Entry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += IN_FLIGHT) {
      await Promise.all(
        entries.slice(start, start + IN_FLIGHT).map(([key, value]) =>
          this.kv!.put(key, value).catch((error: Error) => {
            throw new Error(`putting ${JSON.stringify(key)} was refused: ${error.message}`);
          }),
        ),
      );
    }
  }
}
