// The replay harness: feeds the inbound messages one actor received in a recorded trace into a
// fresh instance of it, on a simulated clock, and compares what it publishes with what the
// recorded actor published (per subject, in order, decoded).

import { isDeepStrictEqual } from "node:util";
import { subjectMatches, type Bus, type BusHandler, type BusSubscription } from "../bus/bus.ts";
import type { ActorScopedBus, TraceEntry } from "../bus/trace.ts";
import { decode } from "../messages/codec.ts";
import { SimulatedClock } from "../core/clock.ts";

export interface ReplayContext {
  /** The bus view of the actor under replay. */
  bus: Bus;
  clock: SimulatedClock;
}

export interface ReplayOptions {
  trace: readonly TraceEntry[];
  /** The recorded actor's name, e.g. "worker/w1" or "job-master/<jobId>". */
  actor: string;
  /**
   * Other recorded actors replayed with it, e.g. the subtasks a worker spawns
   * (`(name) => name.startsWith("subtask/")`): their inbound is fed and their outbound compared too.
   */
  including?: (actor: string) => boolean;
  /** Creates the fresh instance with the given bus and clock; returns a stop function if any. */
  start: (ctx: ReplayContext) => (() => void) | undefined;
  /** Which outbound subjects to compare (default: all). */
  compareSubject?: (subject: string) => boolean;
  /** Fields removed (at any depth) before messages are compared, e.g. wall-clock timestamps. */
  ignoreFields?: readonly string[];
}

export interface ReplayMismatch {
  subject: string;
  index: number;
  expected: unknown;
  actual: unknown;
}

export interface ReplayReport {
  inbound: number;
  expectedOutbound: number;
  actualOutbound: number;
  mismatches: ReplayMismatch[];
}

/** Lets promise chains, setImmediate callbacks and in-flight actor work settle. */
async function settle(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Replays one actor of a trace.
 * @example
 * const report = await replayActor({ trace, actor: `job-master/${jobId}`, start: ({ bus, clock }) => {
 *   const actor = createActor(jobMasterMachine, { input: { deps: { bus, clock, log, metrics }, submission }, clock }).start();
 *   return () => actor.stop();
 * }});
 * expect(report.mismatches).toEqual([]);
 */
export async function replayActor(options: ReplayOptions): Promise<ReplayReport> {
  const replayed = (actor: string) => actor === options.actor || (options.including?.(actor) ?? false);
  const own = options.trace.filter((e) => replayed(e.actor));
  if (!own.some((e) => e.actor === options.actor)) throw new Error(`the trace has nothing from or to actor ${options.actor}`);
  const clock = new SimulatedClock(own[0].t);
  const bus = new ReplayBus();
  const stop = options.start({ bus: bus.forActor(options.actor), clock });
  await settle();
  let inbound = 0;
  for (const entry of own) {
    if (entry.kind === "publish") continue;
    clock.advanceTo(entry.t);
    await settle();
    inbound += 1;
    if (entry.kind === "reply") bus.answerNextRequest(entry.actor, entry.data);
    else bus.deliver(entry.actor, entry.subject, entry.data, entry.reply);
    await settle();
  }
  clock.advanceTo(own[own.length - 1].t);
  await settle();
  stop?.();

  const compare = options.compareSubject ?? (() => true);
  const expected = own.filter((e) => e.kind === "publish" && compare(e.subject));
  const actual = bus.published.filter((p) => replayed(p.actor) && compare(p.subject));
  return { inbound, expectedOutbound: expected.length, actualOutbound: actual.length, mismatches: diffBySubject(expected, actual, options.ignoreFields ?? []) };
}

type Outbound = { actor: string; subject: string; data: Uint8Array };

/**
 * Compares per (actor, subject): the order across subjects may differ, the order on one may not.
 * Data (frames, collect batches) compares as the stream of elements it carries, since where a
 * batch ends depends on timing, not on the actor's logic.
 */
function diffBySubject(expected: readonly Outbound[], actual: readonly Outbound[], ignore: readonly string[]): ReplayMismatch[] {
  const group = (list: readonly Outbound[]) => {
    const map = new Map<string, unknown[]>();
    for (const item of list) {
      const key = `${item.actor} ${normalSubject(item.subject)}`;
      const items = map.get(key) ?? [];
      items.push(...streamItems(item.data, ignore));
      map.set(key, items);
    }
    return map;
  };
  const e = group(expected);
  const a = group(actual);
  const mismatches: ReplayMismatch[] = [];
  for (const subject of new Set([...e.keys(), ...a.keys()])) {
    const exp = e.get(subject) ?? [];
    const act = a.get(subject) ?? [];
    for (let i = 0; i < Math.max(exp.length, act.length); i++) {
      if (!isDeepStrictEqual(exp[i], act[i])) mismatches.push({ subject, index: i, expected: exp[i], actual: act[i] });
    }
  }
  return mismatches;
}

/** Inbox subjects differ between runs; they compare as one. */
function normalSubject(subject: string): string {
  return subject.startsWith("_INBOX.") ? "_INBOX" : subject;
}

function streamItems(data: Uint8Array, ignore: readonly string[]): unknown[] {
  const outcome = decode(data);
  if (!outcome.ok) return [{ undecodable: Buffer.from(data).toString("base64") }];
  const message = outcome.message;
  if (message.type === "frame") return message.elements.flatMap((e) => (e.kind === "records" ? e.records.map((record) => ({ record })) : [strip(e, ignore)]));
  if (message.type === "collect") return [...message.records.map((record) => ({ record })), ...(message.last ? [{ last: true }] : [])];
  return [strip(message, ignore)];
}

function strip(value: unknown, ignore: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => strip(v, ignore));
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value).filter(([k, v]) => !ignore.includes(k) && v !== undefined).map(([k, v]) => [k, strip(v, ignore)]));
}

interface Published {
  actor: string;
  subject: string;
  data: Uint8Array;
}

/** A bus with no network: records what is published and delivers only what the harness feeds. */
class ReplayBus {
  readonly published: Published[] = [];
  private readonly subscriptions: { actor: string; pattern: string; handler: BusHandler; active: boolean }[] = [];
  private readonly pendingRequests: { actor: string; resolve: (data: Uint8Array) => void }[] = [];

  forActor(actor: string): ActorScopedBus {
    return new ReplayBusView(this, actor);
  }

  publishAs(actor: string, subject: string, data: Uint8Array): void {
    this.published.push({ actor, subject, data: data.slice() });
  }

  subscribeAs(actor: string, pattern: string, handler: BusHandler): BusSubscription {
    const subscription = { actor, pattern, handler, active: true };
    this.subscriptions.push(subscription);
    return { unsubscribe: () => void (subscription.active = false) };
  }

  requestAs(actor: string, subject: string, data: Uint8Array): Promise<Uint8Array> {
    this.publishAs(actor, subject, data);
    return new Promise((resolve) => this.pendingRequests.push({ actor, resolve }));
  }

  /** Delivers a recorded message to the matching subscriptions of the actor that received it. */
  deliver(actor: string, subject: string, data: Uint8Array, reply: string | undefined): void {
    for (const s of this.subscriptions) if (s.active && s.actor === actor && subjectMatches(s.pattern, subject)) s.handler(data, subject, reply);
  }

  answerNextRequest(actor: string, data: Uint8Array): void {
    const index = this.pendingRequests.findIndex((p) => p.actor === actor);
    if (index < 0) throw new Error(`the trace has a reply for ${actor}, but the replayed actor made no request`);
    this.pendingRequests.splice(index, 1)[0].resolve(data);
  }
}

class ReplayBusView implements ActorScopedBus {
  constructor(private readonly root: ReplayBus, private readonly actor: string) {}
  forActor(actor: string): ActorScopedBus {
    return new ReplayBusView(this.root, actor);
  }
  publish(subject: string, data: Uint8Array): void {
    this.root.publishAs(this.actor, subject, data);
  }
  subscribe(subject: string, handler: BusHandler): BusSubscription {
    return this.root.subscribeAs(this.actor, subject, handler);
  }
  request(subject: string, data: Uint8Array): Promise<Uint8Array> {
    return this.root.requestAs(this.actor, subject, data);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
