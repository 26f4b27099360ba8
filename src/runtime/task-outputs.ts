// The output side of one subtask: its channel writers, the credit grants that let them send, the
// periodic flush of part-filled frames, and whether any writer is out of credit (backpressure).

import type { Bus, BusSubscription } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { decode } from "../messages/codec.ts";
import type { Rejections } from "../messages/rejections.ts";
import type { DataElement, SubtaskId } from "../messages/schema.ts";
import type { ChannelWriter } from "./channel-writer.ts";
import type { Clock } from "../core/clock.ts";
import type { PartitionedOutput } from "./operator-chain.ts";

export class TaskOutputs {
  private readonly subscriptions: BusSubscription[] = [];
  private flushTimer: unknown;
  private closed = false;

  constructor(
    readonly partitioned: readonly PartitionedOutput[],
    private readonly writers: readonly ChannelWriter[],
    private readonly clock: Clock,
  ) {}

  /** Routes each edge's credit grants to its channel writers; a grant without this attempt's `token` is a stranger's. */
  subscribeCredits(bus: Bus, task: SubtaskId, token: string, rejections: Rejections): void {
    for (const output of this.partitioned) {
      const byConsumer = new Map(output.consumers.map((consumer, i) => [consumer, output.writers[i]]));
      const subject = subjects.creditsInto(task.jobId, task.attempt, output.edge.id, task.subtaskIndex);
      this.subscriptions.push(
        bus.subscribe(subject, (data, actual) => {
          const outcome = decode(data, ["credit"]);
          const writer = outcome.ok ? byConsumer.get(outcome.message.consumer) : undefined;
          if (!outcome.ok) rejections.reject(outcome, { subject: actual, bytes: data.length });
          else if (outcome.message.token !== token) rejections.reject({ reason: "wrong-deployment", detail: `credit from consumer ${outcome.message.consumer} without this attempt's channel token` }, { subject: actual, bytes: data.length });
          else if (!writer) rejections.reject({ reason: "invalid", detail: `credit from unknown consumer ${outcome.message.consumer}` }, { subject: actual, bytes: data.length });
          else writer.grant(outcome.message.credits);
        }),
      );
    }
  }

  /** True while any writer waits for credit. */
  get isBackpressured(): boolean {
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) if (writers[i].isBackpressured) return true;
    return false;
  }

  /** What the writers have sent or hold, summed (per frame, never per record). */
  totals(): { records: number; bytes: number; waitingFrames: number; watermark: number } {
    let records = 0;
    let bytes = 0;
    let waitingFrames = 0;
    let watermark = -Infinity;
    for (const writer of this.writers) {
      records += writer.recordsFramed;
      bytes += writer.bytesSent;
      waitingFrames += writer.waitingFrames;
      if (writer.lastWatermark > watermark) watermark = writer.lastWatermark;
    }
    return { records, bytes, waitingFrames, watermark };
  }

  /** Sends every part-filled frame (as far as credit allows). */
  flush(): void {
    for (const writer of this.writers) if (writer.hasBufferedRecords) writer.flush();
  }

  broadcast(element: DataElement): void {
    for (const output of this.partitioned) output.broadcastControl(element);
  }

  /** Flushes every `intervalMs` (the vertex's buffer timeout); `guard` fails the subtask if a flush throws. */
  startFlusher(intervalMs: number, guard: (fn: () => void) => void): void {
    if (intervalMs <= 0 || this.writers.length === 0) return;
    const tick = () => {
      if (this.closed) return;
      guard(() => this.flush());
      this.flushTimer = this.clock.setTimeout(tick, intervalMs);
    };
    this.flushTimer = this.clock.setTimeout(tick, intervalMs);
  }

  close(): void {
    this.closed = true;
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.length = 0;
  }
}
