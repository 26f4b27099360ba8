// A source reader's line to its split enumerator: sends its registration, split requests and
// source events; receives the enumerator's split assignments, no-more-splits and events, checks
// that they are for this reader execution (its channel token) and in sequence, and hands them to
// the reader between two of its polls. A gap in the sequence fails the subtask: no split is lost
// silently. Never touched per record.

import type { Bus, BusSubscription } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { decode, encode, type Unversioned } from "../messages/codec.ts";
import type { Rejections } from "../messages/rejections.ts";
import type { ReaderToEnumerator, SubtaskId } from "../messages/schema.ts";
import type { SourceReader } from "../operators/source.ts";

export interface SplitReaderLinkOptions {
  bus: Bus;
  task: SubtaskId;
  /** This attempt's channel token: sent with every message, and required of the enumerator's. */
  token: string;
  rejections: Rejections;
  /** Fails the subtask (a lost message, or the reader threw). */
  fail: (error: Error) => void;
}

export class SplitReaderLink {
  private subscription?: BusSubscription;
  private nextSeq = 1;

  constructor(private readonly options: SplitReaderLinkOptions) {}

  /** Starts listening for the enumerator's messages to `reader` (before the reader registers, so none is missed). */
  attach(reader: SourceReader<unknown>): void {
    const { bus, task, token, rejections } = this.options;
    const subject = subjects.splitsToReader(task.jobId, task.vertexId, task.attempt, task.subtaskIndex);
    this.subscription = bus.subscribe(
      subject,
      (data, actual) => {
        const where = { subject: actual, bytes: data.length };
        const outcome = decode(data, ["split-assignment", "no-more-splits", "enumerator-event"]);
        if (!outcome.ok) return rejections.reject(outcome, where);
        const message = outcome.message;
        const to = message.task;
        if (message.token !== token || to.jobId !== task.jobId || to.vertexId !== task.vertexId || to.subtaskIndex !== task.subtaskIndex || to.attempt !== task.attempt) {
          return rejections.reject({ reason: "wrong-deployment", detail: `a ${message.type} not bound to this reader execution` }, where);
        }
        if (message.seq < this.nextSeq) return rejections.reject({ reason: "invalid", detail: `a repeated ${message.type} (seq ${message.seq})` }, where);
        if (message.seq > this.nextSeq) return this.options.fail(new Error(`messages from the split enumerator were lost: expected seq ${this.nextSeq}, got ${message.seq}`));
        this.nextSeq += 1;
        try {
          if (message.type === "split-assignment") this.require(reader.addSplits, "addSplits").call(reader, message.splits);
          else if (message.type === "no-more-splits") this.require(reader.notifyNoMoreSplits, "notifyNoMoreSplits").call(reader);
          else reader.handleSourceEvent?.(message.event);
        } catch (error) {
          this.options.fail(error instanceof Error ? error : new Error(String(error)));
        }
      },
      { endpoint: `source reader ${task.vertexId}[${task.subtaskIndex}]` },
    );
  }

  /** The reader has started: its enumerator's addReader. */
  register(): void {
    this.send({ type: "reader-registration" });
  }

  requestSplits(): void {
    this.send({ type: "split-request" });
  }

  sendEvent(event: unknown): void {
    this.send({ type: "reader-event", event });
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private send(message: { type: "reader-registration" } | { type: "split-request" } | { type: "reader-event"; event: unknown }): void {
    const { bus, task, token } = this.options;
    const full = { ...message, task, token } as Unversioned<ReaderToEnumerator>;
    bus.publish(subjects.splitRequests(task.jobId, task.vertexId), encode(full));
  }

  private require<F>(method: F | undefined, name: string): F {
    if (method === undefined) throw new Error(`the source has a split enumerator, so its reader must implement ${name}()`);
    return method;
  }
}
