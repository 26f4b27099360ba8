// The embedded bus: NATS semantics (subjects, wildcards, queue groups, request/reply) inside one
// process. Deliveries are asynchronous and in publish order, like a NATS connection's. A handler
// that throws is counted and logged (handler-guard.ts); a request it was serving fails.

import type { Logger } from "../observability/logger.ts";
import { silentLogger } from "../observability/logger.ts";
import { MetricRegistry } from "../observability/metrics.ts";
import { guardHandler, type HandlerGuardOptions } from "./handler-guard.ts";
import {
  NoRespondersError,
  RemoteHandlerError,
  RequestTimeoutError,
  subjectMatches,
  type Bus,
  type BusHandler,
  type BusSubscription,
  type SubscribeOptions,
} from "./bus.ts";

interface Subscriber {
  pattern: string;
  handler: BusHandler;
  queue?: string;
  active: boolean;
}

interface Pending {
  subject: string;
  data: Uint8Array;
  reply: string | undefined;
  targets: Subscriber[];
}

/** How many deliveries run before the bus yields to timers and I/O. */
const DELIVERIES_PER_TURN = 512;

export class InProcessBus implements Bus {
  private readonly exact = new Map<string, Subscriber[]>();
  private readonly wildcard: Subscriber[] = [];
  private queue: Pending[] = [];
  private head = 0;
  private scheduled = false;
  private closed = false;
  private inboxCounter = 0;
  /** Round-robin position per queue group, so one group's deliveries do not move another's. */
  private readonly queueCursors = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  /** Open requests by inbox: a responder's failure rejects them at once. */
  private readonly failRequest = new Map<string, (detail: string) => void>();
  private readonly guard: HandlerGuardOptions;

  constructor(options: { metrics?: MetricRegistry; log?: Logger } = {}) {
    this.guard = {
      metrics: options.metrics ?? new MetricRegistry(),
      log: options.log ?? silentLogger(),
      replyWithError: (reply, error) => this.failRequest.get(reply)?.(error),
    };
  }

  publish(subject: string, data: Uint8Array, reply?: string): void {
    if (this.closed) return;
    const targets = this.match(subject);
    if (targets.length === 0) return;
    this.queue.push({ subject, data, reply, targets });
    this.schedule();
  }

  subscribe(subject: string, handler: BusHandler, options: SubscribeOptions = {}): BusSubscription {
    const guarded = guardHandler(handler, options.endpoint ?? subject, this.guard);
    const subscriber: Subscriber = { pattern: subject, handler: guarded, queue: options.queue, active: true };
    if (subject.includes("*") || subject.includes(">")) this.wildcard.push(subscriber);
    else {
      const list = this.exact.get(subject) ?? [];
      list.push(subscriber);
      this.exact.set(subject, list);
    }
    return {
      unsubscribe: () => {
        subscriber.active = false;
        const list = this.exact.get(subject);
        if (list) {
          const remaining = list.filter((s) => s !== subscriber);
          if (remaining.length > 0) this.exact.set(subject, remaining);
          else this.exact.delete(subject);
        }
        const index = this.wildcard.indexOf(subscriber);
        if (index >= 0) this.wildcard.splice(index, 1);
      },
    };
  }

  request(subject: string, data: Uint8Array, options: { timeoutMs?: number } = {}): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? 5000;
    // Checked without picking queue members, so the check does not advance the groups' round robin.
    if (!this.hasSubscribers(subject)) return Promise.reject(new NoRespondersError(subject));
    const inbox = `_INBOX.${++this.inboxCounter}`;
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        sub.unsubscribe();
        this.failRequest.delete(inbox);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new RequestTimeoutError(subject, timeoutMs));
      }, timeoutMs);
      const sub = this.subscribe(inbox, (reply) => {
        settle();
        resolve(reply);
      });
      this.failRequest.set(inbox, (detail) => {
        settle();
        reject(new RemoteHandlerError(subject, detail));
      });
      this.publish(subject, data, inbox);
    });
  }

  flush(): Promise<void> {
    if (this.head >= this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.exact.clear();
    this.wildcard.length = 0;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  private hasSubscribers(subject: string): boolean {
    return this.exact.has(subject) || this.wildcard.some((s) => subjectMatches(s.pattern, subject));
  }

  private match(subject: string): Subscriber[] {
    const direct = this.exact.get(subject);
    let targets: Subscriber[] = direct ? direct.slice() : [];
    for (const subscriber of this.wildcard) if (subjectMatches(subscriber.pattern, subject)) targets.push(subscriber);
    if (targets.some((t) => t.queue !== undefined)) targets = this.pickQueueMembers(targets);
    return targets;
  }

  /** Keeps plain subscribers, and one member of each queue group (round robin). */
  private pickQueueMembers(targets: Subscriber[]): Subscriber[] {
    const plain = targets.filter((t) => t.queue === undefined);
    const groups = new Map<string, Subscriber[]>();
    for (const t of targets) if (t.queue !== undefined) groups.set(t.queue, [...(groups.get(t.queue) ?? []), t]);
    for (const [queue, members] of groups) {
      const cursor = this.queueCursors.get(queue) ?? 0;
      this.queueCursors.set(queue, cursor + 1);
      plain.push(members[cursor % members.length]);
    }
    return plain;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.deliver());
  }

  private deliver(): void {
    this.scheduled = false;
    let budget = DELIVERIES_PER_TURN;
    while (this.head < this.queue.length && budget-- > 0) {
      const pending = this.queue[this.head++];
      for (const target of pending.targets) if (target.active) target.handler(pending.data, pending.subject, pending.reply);
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
      for (const waiter of this.idleWaiters.splice(0)) waiter();
    } else {
      if (this.head > 4096) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.schedule();
    }
  }
}
