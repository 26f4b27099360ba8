// The bus over a real NATS server (@nats-io/transport-node v3). Long-lived processes reconnect
// forever; connection events are logged and slow-consumer reports are counted.

import { connect, RequestError, TimeoutError, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import {
  NoRespondersError,
  RequestTimeoutError,
  type Bus,
  type BusHandler,
  type BusSubscription,
  type SubscribeOptions,
} from "./bus.ts";

export interface NatsBusOptions {
  servers: string;
  /** A name the server shows for this connection. */
  name: string;
  log: Logger;
  metrics: MetricRegistry;
  /** Give up on the first connection after this long (ms); reconnects after that never give up. */
  connectTimeoutMs?: number;
}

export class NatsBus implements Bus {
  private constructor(readonly connection: NatsConnection, private readonly log: Logger) {}

  /** Connects and starts watching the connection's status. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const connection = await connect({
      servers: options.servers,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: options.connectTimeoutMs ?? 5000,
      pingInterval: 10_000,
    }).catch((error: Error) => {
      throw new Error(`cannot connect to NATS at ${options.servers}: ${error.message}. Is nats-server running there?`, { cause: error });
    });
    const bus = new NatsBus(connection, options.log);
    void bus.watchStatus(options.metrics);
    return bus;
  }

  publish(subject: string, data: Uint8Array, reply?: string): void {
    this.connection.publish(subject, data, reply ? { reply } : undefined);
  }

  subscribe(subject: string, handler: BusHandler, options: SubscribeOptions = {}): BusSubscription {
    const subscription = this.connection.subscribe(subject, {
      queue: options.queue,
      callback: (error, msg) => {
        if (error) {
          this.log.error({ err: error, subject }, "subscription failed");
          return;
        }
        handler(msg.data, msg.subject, msg.reply);
      },
    });
    return { unsubscribe: () => subscription.unsubscribe() };
  }

  async request(subject: string, data: Uint8Array, options: { timeoutMs?: number } = {}): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? 5000;
    try {
      const reply = await this.connection.request(subject, data, { timeout: timeoutMs });
      return reply.data;
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) throw new NoRespondersError(subject);
      if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
        throw new RequestTimeoutError(subject, timeoutMs);
      }
      throw error;
    }
  }

  flush(): Promise<void> {
    return this.connection.flush();
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    await this.connection.drain().catch(() => this.connection.close());
  }

  private async watchStatus(metrics: MetricRegistry): Promise<void> {
    for await (const status of this.connection.status()) {
      switch (status.type) {
        case "disconnect":
          this.log.warn({ server: status.server }, "disconnected from NATS; reconnecting");
          break;
        case "reconnect":
          this.log.info({ server: status.server }, "reconnected to NATS");
          break;
        case "slowConsumer":
          metrics.counter("weir_nats_slow_consumer_total").inc();
          this.log.error({ subject: status.sub.getSubject(), pending: status.pending }, "NATS reports a slow consumer");
          break;
        case "error":
          this.log.error({ err: status.error }, "NATS connection error");
          break;
        default:
          break;
      }
    }
  }
}
