// Recording what crosses the bus: every publish (with the actor that sent it), every delivery to
// a recorded actor's subscriptions, and every reply to its requests. A trace file is NDJSON, one
// entry a line, payloads in base64. The replay harness (weir/testing) feeds a trace back.

import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import type { Clock } from "../core/clock.ts";
import type { Bus, BusHandler, BusSubscription, SubscribeOptions } from "./bus.ts";

export type TraceEntryKind = "publish" | "deliver" | "reply";

export interface TraceEntry {
  /** Clock time (ms) when it happened. */
  t: number;
  kind: TraceEntryKind;
  /** The actor that published, or that received the delivery or reply. */
  actor: string;
  subject: string;
  reply?: string;
  data: Uint8Array;
}

/** A bus that can hand out views tagged with an actor's name (tracing buses do; others ignore it). */
export interface ActorScopedBus extends Bus {
  forActor(actor: string): Bus;
}

/** The bus an actor should use: a tagged view when the bus records traces, else the bus itself. */
export function busFor(bus: Bus, actor: string): Bus {
  return "forActor" in bus && typeof (bus as ActorScopedBus).forActor === "function" ? (bus as ActorScopedBus).forActor(actor) : bus;
}

/** Collects trace entries in memory and optionally appends them to a file as they come. */
export class TraceRecorder {
  readonly entries: TraceEntry[] = [];

  constructor(private readonly clock: Clock, private readonly file?: string) {
    if (file) writeFileSync(file, "");
  }

  record(kind: TraceEntryKind, actor: string, subject: string, data: Uint8Array, reply?: string): void {
    const entry: TraceEntry = { t: this.clock.now(), kind, actor, subject, data: data.slice() };
    if (reply) entry.reply = reply;
    this.entries.push(entry);
    if (this.file) appendFileSync(this.file, `${serializeEntry(entry)}\n`);
  }

  /** Wraps a bus so that everything `actor` does through it is recorded. */
  wrap(bus: Bus, actor: string): ActorScopedBus {
    return new TracedBus(bus, this, actor);
  }
}

class TracedBus implements ActorScopedBus {
  constructor(private readonly inner: Bus, private readonly recorder: TraceRecorder, private readonly actor: string) {}

  forActor(actor: string): Bus {
    return new TracedBus(this.inner, this.recorder, actor);
  }

  publish(subject: string, data: Uint8Array, reply?: string): void {
    this.recorder.record("publish", this.actor, subject, data, reply);
    this.inner.publish(subject, data, reply);
  }

  subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): BusSubscription {
    return this.inner.subscribe(
      subject,
      (data, actual, reply) => {
        this.recorder.record("deliver", this.actor, actual, data, reply);
        handler(data, actual, reply);
      },
      options,
    );
  }

  async request(subject: string, data: Uint8Array, options?: { timeoutMs?: number }): Promise<Uint8Array> {
    this.recorder.record("publish", this.actor, subject, data, "_INBOX");
    const reply = await this.inner.request(subject, data, options);
    this.recorder.record("reply", this.actor, subject, reply);
    return reply;
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function serializeEntry(entry: TraceEntry): string {
  return JSON.stringify({ ...entry, data: Buffer.from(entry.data).toString("base64") });
}

/** Reads a trace file written by `weir run --trace`. */
export function readTrace(file: string): TraceEntry[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line, i) => {
      const raw = JSON.parse(line) as Omit<TraceEntry, "data"> & { data: string };
      if (typeof raw.t !== "number" || typeof raw.subject !== "string" || typeof raw.data !== "string") throw new Error(`${file}:${i + 1}: not a trace entry`);
      return { ...raw, data: new Uint8Array(Buffer.from(raw.data, "base64")) };
    });
}
