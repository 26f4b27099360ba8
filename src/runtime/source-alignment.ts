// A source reader's part in watermark alignment (FLIP-182/FLIP-217): reports the reader's
// watermark to its group's coordinator every update interval (and at once when it pauses or
// ends), hears the group's bound, and decides with the pure planAlignment whether the reader
// (or which of its splits) must pause. The source loop asks `holds()` once per poll: one
// comparison unless a watermark moved. While held, the loop waits on `allowed()`; checkpoint
// barriers are injected between turns as always, so a paused reader never stalls a checkpoint.

import type { Bus, BusSubscription } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import type { Clock } from "../core/clock.ts";
import type { WatermarkAlignment } from "../core/watermark-strategy.ts";
import { planAlignment } from "../core/watermark-alignment.ts";
import { decode, encode } from "../messages/codec.ts";
import type { Rejections } from "../messages/rejections.ts";
import type { SubtaskId } from "../messages/schema.ts";
import type { SourceReader } from "../operators/source.ts";
import type { SplitWatermarks } from "../operators/split-watermarks.ts";

export interface SourceAlignmentOptions {
  bus: Bus;
  clock: Clock;
  task: SubtaskId;
  /** This attempt's channel token: the coordinator requires it of reports. */
  token: string;
  rejections: Rejections;
  alignment: WatermarkAlignment;
  watermarks: SplitWatermarks<unknown>;
  reader: SourceReader<unknown>;
  /** Fails the subtask (the reader's pauseOrResumeSplits threw). */
  fail: (error: Error) => void;
}

export class SourceAlignment {
  /** Nothing is allowed before the coordinator's first bound: no reader runs ahead of one that has not started. */
  private maxAllowed = -Infinity;
  private seenVersion = -1;
  private readerPaused = false;
  private readonly pausedSplits = new Set<string>();
  private waiter?: () => void;
  private subscription?: BusSubscription;
  private timer: unknown;
  private closed = false;

  constructor(private readonly options: SourceAlignmentOptions) {}

  /** Listens for the group's bound and starts reporting. */
  start(): void {
    const { bus, task, alignment, rejections } = this.options;
    this.subscription = bus.subscribe(
      subjects.alignmentBound(task.jobId, alignment.group),
      (data, actual) => {
        const outcome = decode(data, ["watermark-bound"]);
        if (!outcome.ok) return rejections.reject(outcome, { subject: actual, bytes: data.length });
        const message = outcome.message;
        if (message.jobId !== task.jobId || message.group !== alignment.group) {
          return rejections.reject({ reason: "invalid", detail: `a watermark-bound for ${message.jobId}/${message.group}` }, { subject: actual, bytes: data.length });
        }
        this.onBound(message.maxAllowedWatermark);
      },
      { endpoint: `source reader ${task.vertexId}[${task.subtaskIndex}] alignment` },
    );
    this.schedule();
    this.report("active");
  }

  /** Per poll: true while the reader must not be polled. */
  holds(): boolean {
    if (this.options.watermarks.version !== this.seenVersion) this.evaluate();
    return this.readerPaused;
  }

  /** Resolves when the reader may be polled again, or after one update interval (the loop then checks whether it should stop). */
  allowed(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.options.clock.setTimeout(() => this.wake(), this.options.alignment.updateIntervalMs);
      this.waiter = () => {
        this.options.clock.clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Wakes a waiting loop (a stop, or the bound moved). */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** The reader has read its last record: it no longer holds its group back. */
  finish(): void {
    this.report("finished");
    this.close();
  }

  close(): void {
    this.closed = true;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.wake();
  }

  private onBound(bound: number): void {
    this.maxAllowed = bound;
    this.evaluate();
    if (!this.readerPaused) this.wake();
  }

  private evaluate(): void {
    const { watermarks, reader } = this.options;
    this.seenVersion = watermarks.version;
    const max = this.maxAllowed;
    const canPauseSplits = reader.pauseOrResumeSplits !== undefined;
    const readerAbove = watermarks.currentWatermark > max;
    // The common case, nothing to change, without building the view.
    if (readerAbove === this.readerPaused && !(canPauseSplits && (this.pausedSplits.size > 0 || watermarks.highestSplitWatermark() > max))) return;
    const plan = planAlignment({
      maxAllowedWatermark: max,
      readerWatermark: watermarks.currentWatermark,
      splits: watermarks.namedSplits().map((s) => ({ id: s.id, watermark: s.watermark })),
      pausedSplits: this.pausedSplits,
      canPauseSplits,
    });
    if (plan.pause.length > 0 || plan.resume.length > 0) {
      for (const id of plan.pause) this.pausedSplits.add(id);
      for (const id of plan.resume) this.pausedSplits.delete(id);
      try {
        reader.pauseOrResumeSplits!(plan.pause, plan.resume);
      } catch (error) {
        this.options.fail(error instanceof Error ? error : new Error(String(error)));
      }
    }
    const pausing = (plan.pauseReader && !this.readerPaused) || plan.pause.length > 0;
    this.readerPaused = plan.pauseReader;
    // Pausing: the coordinator hears at once how far ahead this reader is.
    if (pausing) this.report(watermarks.currentStatus);
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      if (this.closed) return;
      this.report(this.options.watermarks.currentStatus);
      this.schedule();
    }, this.options.alignment.updateIntervalMs);
  }

  private report(status: "active" | "idle" | "finished"): void {
    const { bus, task, token, alignment, watermarks } = this.options;
    if (this.closed) return;
    const message = { type: "watermark-report" as const, task, token, group: alignment.group, watermark: watermarks.currentWatermark, status };
    bus.publish(subjects.alignmentReports(task.jobId), encode(message));
  }
}

/** A source subtask restored as finished never reads: its group must not wait for it. */
export function reportFinished(bus: Bus, task: SubtaskId, token: string, alignment: WatermarkAlignment): void {
  bus.publish(subjects.alignmentReports(task.jobId), encode({ type: "watermark-report", task, token, group: alignment.group, watermark: Infinity, status: "finished" }));
}
