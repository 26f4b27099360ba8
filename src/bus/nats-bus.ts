// The bus over a real NATS server (@nats-io/transport-node v3). Long-lived processes reconnect
// forever; connection events are logged and slow-consumer reports are counted. Handlers are
// guarded (handler-guard.ts): an exception never reaches the client's reader. A connection that
// can no longer serve — closed for good, a subscription closed under it, or connected but no
// longer reading — is reported once through `onDeaf`, so a process can exit instead of going deaf.
// A refused login and a refused permission are errors of their own (NatsLoginRefusedError,
// NatsNotPermittedError): retrying cannot fix them, the process's credentials must change.

import { AuthorizationError, connect, headers, PermissionViolationError, RequestError, TimeoutError, type Msg, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import { guardHandler, type HandlerGuardOptions } from "./handler-guard.ts";
import { ANONYMOUS, type NatsLogin } from "./nats-login.ts";

/** The header of an error reply: the responder's handler threw (the payload is empty). */
export const ERROR_REPLY_HEADER = "Weir-Error";
import {
  NoRespondersError,
  RequestTimeoutError,
  RemoteHandlerError,
  type Bus,
  type BusHandler,
  type BusSubscription,
  type SubscribeOptions,
} from "./bus.ts";

/** The NATS server refused to let this process log in: its credentials are missing or wrong. */
export class NatsLoginRefusedError extends Error {
  constructor(
    readonly servers: string,
    readonly login: NatsLogin,
    detail: string,
  ) {
    super(`the NATS server at ${servers} refused the login ${login.describe} (${detail})`);
    this.name = "NatsLoginRefusedError";
  }
}

/** The NATS server refused a publish or a subscription: the user's permissions leave the subject out. */
export class NatsNotPermittedError extends Error {
  constructor(detail: string) {
    super(`the NATS server refused: ${detail}`);
    this.name = "NatsNotPermittedError";
  }
}

/**
 * Why a connection can no longer serve: it was lost; the server refused its login or one of its
 * subscriptions; or a subscription went past the server's `max_subscriptions`.
 */
export type DeafCause = "lost" | "refused" | "limit";

export interface NatsBusOptions {
  servers: string;
  /** A name the server shows for this connection. */
  name: string;
  /** Credentials and TLS (default: none). */
  login?: NatsLogin;
  log: Logger;
  metrics: MetricRegistry;
  /** Give up on the first connection after this long (ms); reconnects after that never give up. */
  connectTimeoutMs?: number;
  /**
   * Called once when this connection can no longer serve: closed for good (not by close()), a
   * subscription closed by the server or client, or connected but not reading (a liveness probe
   * of PING/PONG round trips unanswered for `probeTimeoutMs`). Processes exit on it. `cause` is
   * "refused" when the server refused the login (on a reconnect) or a subscription: restarting
   * with the same login cannot help; "limit" when a subscription went past the server's
   * `max_subscriptions` (the server keeps the connection but never delivers on that subject).
   */
  onDeaf?: (reason: string, cause: DeafCause) => void;
  /** How often the liveness probe runs (ms; default 5000) and how long it may go unanswered (default 30000). */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
}

/** What to check after a first connection failed: the server's address, or its TLS certificate. */
function connectAdvice(error: Error, login: NatsLogin): string {
  if (error.message === "connection refused") return ". Is nats-server running there?";
  const code = [error, error.cause].map((e) => (e as NodeJS.ErrnoException | undefined)?.code ?? "").join(" ");
  if (!/CERT|UNABLE_TO|SELF_SIGNED/.test(code)) return "";
  return login.options.tls?.caFile === undefined
    ? ". The server's TLS certificate was not accepted: no TLS CA was given, so it must be signed by a CA the system trusts; give the server's CA with --tls-ca (or $WEIR_NATS_TLS_CA), and the certificate must name the URL's host"
    : ". The server's TLS certificate was not accepted: it must be signed by the TLS CA given (--tls-ca) and name the URL's host";
}

export class NatsBus implements Bus {
  private closing = false;
  /** Set when the server refused this connection's login on a reconnect: what closes next is that. */
  private loginRefusal: string | undefined;
  private deaf = false;
  /** Bumped on every disconnect and reconnect: a probe spanning one proves nothing. */
  private connectionEpoch = 0;
  private disconnected = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly guard: HandlerGuardOptions;

  private constructor(readonly connection: NatsConnection, private readonly log: Logger, metrics: MetricRegistry, private readonly onDeaf?: (reason: string, cause: DeafCause) => void) {
    this.guard = {
      metrics,
      log,
      replyWithError: (reply, error) => {
        const h = headers();
        h.set(ERROR_REPLY_HEADER, error.replace(/[\r\n]+/g, " "));
        this.connection.publish(reply, new Uint8Array(0), { headers: h });
      },
    };
  }

  /** Connects and starts watching the connection's status. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const login = options.login ?? ANONYMOUS;
    const connection = await connect({
      ...login.options,
      // "nats://a:4222,nats://b:4222": the nodes of a cluster; the client moves between them.
      servers: options.servers.split(",").map((server) => server.trim()).filter((server) => server !== ""),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: options.connectTimeoutMs ?? 5000,
      pingInterval: 10_000,
    }).catch((error: Error) => {
      if (error instanceof AuthorizationError) throw new NatsLoginRefusedError(options.servers, login, error.message);
      throw new Error(`cannot connect to NATS at ${options.servers}: ${error.message}${connectAdvice(error, login)}`, { cause: error });
    });
    const bus = new NatsBus(connection, options.log, options.metrics, options.onDeaf);
    void bus.watchStatus(options.metrics, (detail) => new NatsLoginRefusedError(options.servers, login, detail).message);
    void connection.closed().then((error) => {
      // Refused again on a reconnect (credentials changed on the server): nats.js gives up, and so do we.
      if (error instanceof AuthorizationError) bus.reportDeaf(new NatsLoginRefusedError(options.servers, login, error.message).message, "refused");
      else bus.reportDeaf(`the NATS connection closed${error ? `: ${error.message}` : ""}`);
    });
    if (options.onDeaf) bus.startProbe(options.probeIntervalMs ?? 5000, options.probeTimeoutMs ?? 30_000);
    return bus;
  }

  publish(subject: string, data: Uint8Array, reply?: string): void {
    this.connection.publish(subject, data, reply ? { reply } : undefined);
  }

  subscribe(subject: string, handler: BusHandler, options: SubscribeOptions = {}): BusSubscription {
    const guarded = guardHandler(handler, options.endpoint ?? subject, this.guard);
    let unsubscribed = false;
    const subscription = this.connection.subscribe(subject, {
      queue: options.queue,
      callback: (error, msg) => {
        if (error) {
          // A refused subscription closes: reportDeaf says so once, below.
          if (!(error instanceof PermissionViolationError)) this.log.error({ err: error, subject }, "subscription failed");
          return;
        }
        guarded(msg.data, msg.subject, msg.reply);
      },
    });
    void subscription.closed.then((error) => {
      if (unsubscribed) return;
      if (error instanceof PermissionViolationError) this.reportDeaf(`the NATS server refused the subscription to ${subject}: ${error.message}`, "refused");
      else this.reportDeaf(`the subscription to ${subject} closed${error ? `: ${error.message}` : ""}`);
    });
    return {
      unsubscribe: () => {
        unsubscribed = true;
        subscription.unsubscribe();
      },
    };
  }

  async request(subject: string, data: Uint8Array, options: { timeoutMs?: number } = {}): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? 5000;
    let reply: Msg;
    try {
      reply = await this.connection.request(subject, data, { timeout: timeoutMs });
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) throw new NoRespondersError(subject);
      if (error instanceof RequestError && error.cause instanceof PermissionViolationError) throw new NatsNotPermittedError(error.cause.message);
      if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
        throw new RequestTimeoutError(subject, timeoutMs);
      }
      throw error;
    }
    const failure = reply.headers?.get(ERROR_REPLY_HEADER);
    if (failure) throw new RemoteHandlerError(subject, failure);
    return reply.data;
  }

  flush(): Promise<void> {
    return this.connection.flush();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.probeTimer);
    if (this.connection.isClosed()) return;
    await this.connection.drain().catch(() => this.connection.close());
  }

  private async watchStatus(metrics: MetricRegistry, describeRefusal: (detail: string) => string): Promise<void> {
    for await (const status of this.connection.status()) {
      switch (status.type) {
        case "disconnect":
          this.connectionEpoch += 1;
          this.disconnected = true;
          this.log.warn({ server: status.server }, "disconnected from NATS; reconnecting");
          break;
        case "reconnect":
          this.connectionEpoch += 1;
          this.disconnected = false;
          this.log.info({ server: status.server }, "reconnected to NATS");
          break;
        case "slowConsumer":
          metrics.counter("weir_nats_slow_consumer_total").inc();
          this.log.error({ subject: status.sub.getSubject(), pending: status.pending }, "NATS reports a slow consumer");
          break;
        case "error":
          if (status.error instanceof AuthorizationError) {
            this.loginRefusal = describeRefusal(status.error.message);
            this.log.error({ reason: this.loginRefusal }, "the NATS server refused this process's login on a reconnect");
          } else if (status.error instanceof PermissionViolationError && status.error.operation === "subscription") {
            // Said once, by the refused subscription (subscribe, above).
          } else if (status.error instanceof PermissionViolationError) {
            // A publish the user may not make is dropped by the server; the connection stays up.
            metrics.counter("weir_nats_permission_violations_total").inc();
            this.log.error({ operation: status.error.operation, subject: status.error.subject }, "the NATS server refused a publish: this process's NATS user lacks the permission");
          } else if (/maximum subscriptions exceeded/i.test(status.error.message)) {
            // The server dropped a subscription and keeps the connection: without this, a subject goes silent.
            this.reportDeaf("the NATS server refused a subscription: maximum subscriptions exceeded", "limit");
          } else {
            this.log.error({ err: status.error }, "NATS connection error");
          }
          break;
        default:
          break;
      }
    }
  }

  private reportDeaf(lostBecause: string, lostCause: DeafCause = "lost"): void {
    if (this.closing || this.deaf) return;
    this.deaf = true;
    clearInterval(this.probeTimer);
    // A connection closed after its login was refused closes its subscriptions too: the refusal is the reason.
    const [reason, cause] = this.loginRefusal === undefined ? [lostBecause, lostCause] : [this.loginRefusal, "refused" as const];
    if (!this.onDeaf) {
      // A short-lived client (e.g. `weir run --trace` without the right to read all of weir.>) goes on without it.
      this.log.error({ reason }, "a NATS subscription ended");
      return;
    }
    this.log.fatal({ reason }, "this process can no longer serve on NATS");
    this.onDeaf(reason, cause);
  }

  /**
   * Every `intervalMs`, a PING/PONG round trip (flush). One left unanswered for `timeoutMs` while
   * the connection stayed up means the client stopped reading: nothing more will be delivered.
   */
  private startProbe(intervalMs: number, timeoutMs: number): void {
    let probing = false;
    this.probeTimer = setInterval(() => {
      if (probing || this.disconnected || this.closing) return;
      probing = true;
      const epoch = this.connectionEpoch;
      const started = Date.now();
      const check = setInterval(() => {
        if (epoch !== this.connectionEpoch || this.closing) {
          clearInterval(check);
          probing = false;
        } else if (Date.now() - started >= timeoutMs) {
          clearInterval(check);
          this.reportDeaf(`no PONG from the server for ${timeoutMs} ms while connected: the connection stopped reading`);
        }
      }, Math.min(intervalMs, 1000));
      check.unref();
      this.connection.flush().then(
        () => {
          clearInterval(check);
          probing = false;
        },
        () => undefined,
      );
    }, intervalMs);
    this.probeTimer.unref();
  }
}
