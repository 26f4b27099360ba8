// The bus: the one seam between weir's actors and the network. Two implementations carry the
// same bytes: NATS (nats-bus.ts) and in-process (in-process-bus.ts, the embedded default).

/**
 * Called for every message on a subscribed subject. A handler should not throw; if it does, the bus
 * counts and logs it (handler-guard.ts), answers a request with an error and keeps delivering.
 */
export type BusHandler = (data: Uint8Array, subject: string, reply: string | undefined) => void;

export interface BusSubscription {
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /** Members of one queue group share the subject's messages: each goes to one of them. */
  queue?: string;
  /** The label of this subscription in metrics and logs (default: the subscribed subject). */
  endpoint?: string;
}

export interface Bus {
  publish(subject: string, data: Uint8Array, reply?: string): void;
  subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): BusSubscription;
  /** Sends a request and resolves with the first reply; rejects on timeout or when nobody listens. */
  request(subject: string, data: Uint8Array, options?: { timeoutMs?: number }): Promise<Uint8Array>;
  /** Resolves once everything published so far has left this process (or been delivered, in-process). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class NoRespondersError extends Error {
  constructor(subject: string) {
    super(`no responders on ${subject}: is the process that serves it running?`);
    this.name = "NoRespondersError";
  }
}

/** The responder's handler threw while handling the request; `message` says where and what. */
export class RemoteHandlerError extends Error {
  constructor(subject: string, detail: string) {
    super(`request on ${subject} failed: ${detail}`);
    this.name = "RemoteHandlerError";
  }
}

export class RequestTimeoutError extends Error {
  constructor(subject: string, timeoutMs: number) {
    super(`request on ${subject} timed out after ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

/** True when `subject` matches a NATS subscription `pattern` (`*` one token, `>` the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
