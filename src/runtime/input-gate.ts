// The consuming end of a subtask's input channels. Takes only frames with its attempt's channel
// token and nothing on a channel after its end of partition (anything else is a stranger's:
// rejected and counted, never sequenced), checks every frame's sequence number (a gap
// or repeat fails the subtask: loss is never silent), buffers frames it granted credit for, and
// grants credit back as frames are consumed. Credits are cumulative and re-announced while a
// channel is quiet, so a grant lost in flight (or sent before the producer listened) is repaired.

import type { Bus, BusSubscription } from "../bus/bus.ts";
import { decode, encode } from "../messages/codec.ts";
import type { Rejections } from "../messages/rejections.ts";
import type { DataElement, Frame } from "../messages/schema.ts";
import { subjects } from "../bus/subjects.ts";
import type { Clock } from "../core/clock.ts";
import { MAX_FRAME_BYTES } from "./channel-writer.ts";

/** Frames a consumer buffers per channel (Flink's exclusive buffers per channel is 2, plus floating ones). */
export const DEFAULT_CREDITS_PER_CHANNEL = 8;
const CREDIT_REFRESH_MS = 100;
/** Frames are at most MAX_FRAME_BYTES; anything much larger is rejected before decoding. */
export const MAX_FRAME_DECODE_BYTES = MAX_FRAME_BYTES + 64 * 1024;

export interface InputEdge {
  edgeId: string;
  inputIndex: number;
  producers: number[];
}

export class ChannelSequenceError extends Error {
  constructor(channel: string, expected: number, got: number) {
    super(`channel ${channel}: expected frame ${expected}, got ${got} (${got > expected ? "frames were lost" : "a frame was repeated"}); failing the subtask`);
    this.name = "ChannelSequenceError";
  }
}

/** One input channel's buffers and flags; only the InputGate that owns it changes them. */
export class InputChannel {
  expectedSeq = 1;
  readonly frames: Frame[] = [];
  consumed = 0;
  announced = 0;
  receivedSinceRefresh = false;
  ended = false;
  /** Barrier alignment: a blocked channel's frames wait until the checkpoint's barriers have all arrived. */
  blocked = false;
  /** Unaligned checkpoint in progress: frames arriving before this channel's barrier are copied here. */
  recording: DataElement[][] | undefined = undefined;
  /** The checkpoint being recorded for: an in-band barrier of it ends the recording (a switched aligned checkpoint). */
  recordingFor = 0;

  constructor(
    /** Its position in the gate's `channels`: how the barrier handler names it. */
    readonly index: number,
    readonly name: string,
    readonly edgeId: string,
    readonly inputIndex: number,
    readonly producer: number,
    readonly creditSubject: string,
  ) {}
}

export interface InputGateOptions {
  bus: Bus;
  clock: Clock;
  jobId: string;
  attempt: number;
  /** The attempt's channel token: a frame without it is a stranger's, rejected before its number is looked at. */
  token: string;
  consumer: number;
  edges: InputEdge[];
  rejections: Rejections;
  creditsPerChannel?: number;
  /** Called when frames are ready to be taken. */
  onReadable: () => void;
  /** Called when the stream on a channel is broken. */
  onChannelError: (error: Error) => void;
  /** A priority frame (seq 0: an unaligned barrier) arrived: handled at once, ahead of buffered frames. */
  onPriority?: (channel: InputChannel, elements: DataElement[]) => void;
  /** A recording channel's in-band barrier of `checkpointId` arrived: the recording holds what came before it. */
  onRecordedBarrier?: (channel: InputChannel, checkpointId: number) => void;
  /** An in-band barrier that arrives this late is also handed to onPriority on arrival (aligned-checkpoint timeout). */
  isOverdue?: (barrier: Extract<DataElement, { kind: "barrier" }>) => boolean;
}

export class InputGate {
  readonly channels: InputChannel[] = [];
  private readonly byKey = new Map<string, InputChannel>();
  private readonly subscriptions: BusSubscription[] = [];
  private readonly credits: number;
  private refreshTimer: unknown;
  /** One entry per buffered frame, in arrival order: frames are taken in the order they came. */
  private arrivals: InputChannel[] = [];
  private head = 0;
  /** Arrivals of blocked channels, in order, set aside until unblockAll(). */
  private deferred: InputChannel[] = [];
  private closed = false;
  /** Bytes of the frames accepted so far. */
  bytesIn = 0;

  constructor(private readonly options: InputGateOptions) {
    this.credits = options.creditsPerChannel ?? DEFAULT_CREDITS_PER_CHANNEL;
    const { jobId, attempt, consumer } = options;
    for (const edge of options.edges) {
      for (const producer of edge.producers) {
        const channel = new InputChannel(
          this.channels.length,
          `${edge.edgeId}[${producer}→${consumer}]`,
          edge.edgeId,
          edge.inputIndex,
          producer,
          subjects.credits(jobId, attempt, edge.edgeId, producer, consumer),
        );
        this.channels.push(channel);
        this.byKey.set(`${edge.edgeId}/${producer}`, channel);
      }
    }
  }

  /** Subscribes to every channel and announces initial credit. */
  open(): void {
    const { bus, jobId, attempt, consumer } = this.options;
    for (const edge of this.options.edges) {
      const subject = subjects.framesInto(jobId, attempt, edge.edgeId, consumer);
      this.subscriptions.push(bus.subscribe(subject, (data, actual) => this.onFrameBytes(edge.edgeId, data, actual)));
    }
    for (const channel of this.channels) this.announce(channel);
    this.scheduleRefresh();
  }

  close(): void {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.length = 0;
    if (this.refreshTimer !== undefined) this.options.clock.clearTimeout(this.refreshTimer);
  }

  get allEnded(): boolean {
    return this.channels.every((c) => c.ended);
  }

  /**
   * Takes the next buffered frame, in arrival order across channels, or undefined if none is
   * buffered. Arrival order (not round robin) makes processing a function of what was delivered,
   * so a replay of the same deliveries processes records in the same order.
   */
  poll(): { channel: InputChannel; frame: Frame } | undefined {
    let channel: InputChannel | undefined;
    while (channel === undefined && this.head < this.arrivals.length) {
      const next = this.arrivals[this.head++];
      if (next.blocked) this.deferred.push(next);
      else channel = next;
    }
    if (this.head === this.arrivals.length) {
      this.arrivals = [];
      this.head = 0;
    }
    return channel === undefined ? undefined : { channel, frame: channel.frames.shift()! };
  }

  /** Frames received and not yet taken. */
  get bufferedFrames(): number {
    return this.arrivals.length - this.head;
  }

  /** True when a frame of an unblocked channel may be waiting (poll to find out). */
  get hasBufferedFrames(): boolean {
    return this.head < this.arrivals.length;
  }

  /** True when frames of blocked channels wait for the end of an alignment. */
  get hasDeferredFrames(): boolean {
    return this.deferred.length > 0;
  }

  /** Stops taking frames from channel `index` (it delivered a barrier the others have not yet). */
  block(index: number): void {
    this.channels[index].blocked = true;
  }

  /** Alignment ended: every channel is read again, set-aside frames first, in their arrival order. */
  unblockAll(): void {
    for (const channel of this.channels) channel.blocked = false;
    if (this.deferred.length === 0) return;
    this.arrivals = [...this.deferred, ...this.arrivals.slice(this.head)];
    this.head = 0;
    this.deferred = [];
  }

  /** What channel `index` buffers ahead of its in-band barrier of `checkpointId` (all it buffers if that has not arrived). */
  bufferedBefore(index: number, checkpointId: number): DataElement[][] {
    const buffered: DataElement[][] = [];
    for (const frame of this.channels[index].frames) {
      const at = barrierAt(frame.elements, checkpointId);
      if (at >= 0) {
        buffered.push(frame.elements.slice(0, at));
        break;
      }
      buffered.push(frame.elements);
    }
    return buffered;
  }

  /** Channels that owe checkpoint `checkpointId` nothing beyond what they buffer: its barrier, or their end, is queued. */
  settledFor(checkpointId: number): number[] {
    const settled: number[] = [];
    for (const channel of this.channels) {
      const queued = channel.frames.some((frame) => barrierAt(frame.elements, checkpointId) >= 0);
      if (channel.ended || queued) settled.push(channel.index);
    }
    return settled;
  }

  /** Appends to `into` what arrives on channel `index` until its in-band barrier of `checkpointId` does. */
  startRecording(index: number, checkpointId: number, into: DataElement[][]): void {
    const channel = this.channels[index];
    channel.recording = into;
    channel.recordingFor = checkpointId;
  }

  stopRecording(index: number): void {
    this.channels[index].recording = undefined;
  }

  /** Puts the unprocessed rest of a taken frame back at the front of its channel (its channel was just blocked). */
  unread(channel: InputChannel, rest: Frame): void {
    channel.frames.unshift(rest);
    if (channel.blocked) this.deferred.unshift(channel);
    else {
      this.arrivals.splice(this.head, 0, channel);
    }
  }

  /** Called after a taken frame has been fully processed: frees its buffer and grants credit. */
  release(channel: InputChannel): void {
    channel.consumed += 1;
    if (!channel.ended) this.announce(channel);
  }

  private onFrameBytes(edgeId: string, data: Uint8Array, subject: string): void {
    if (this.closed) return;
    const outcome = decode(data, ["frame"], MAX_FRAME_DECODE_BYTES);
    if (!outcome.ok) {
      this.options.rejections.reject(outcome, { subject, bytes: data.length });
      return;
    }
    const frame = outcome.message;
    if (frame.token !== this.options.token) {
      this.options.rejections.reject({ reason: "wrong-deployment", detail: `frame ${frame.seq} from producer ${frame.producer} without this attempt's channel token` }, { subject, bytes: data.length });
      return;
    }
    const channel = this.byKey.get(`${edgeId}/${frame.producer}`);
    if (!channel || !subject.endsWith(`.${frame.producer}`)) {
      this.options.rejections.reject({ reason: "invalid", detail: `frame from producer ${frame.producer} matches no channel` }, { subject, bytes: data.length });
      return;
    }
    if (channel.ended) {
      // A producer sends nothing after its end of partition: whatever comes is a stranger's.
      this.options.rejections.reject({ reason: "after-end", detail: `frame ${frame.seq} on ${channel.name} after its end of partition` }, { subject, bytes: data.length });
      return;
    }
    if (frame.seq === 0) {
      this.options.onPriority?.(channel, frame.elements);
      return;
    }
    if (frame.seq !== channel.expectedSeq) {
      this.options.onChannelError(new ChannelSequenceError(channel.name, channel.expectedSeq, frame.seq));
      return;
    }
    channel.expectedSeq += 1;
    channel.receivedSinceRefresh = true;
    this.bytesIn += data.length;
    const last = frame.elements[frame.elements.length - 1];
    if (last?.kind === "end-of-partition") channel.ended = true;
    if (channel.recording) this.record(channel, frame.elements);
    channel.frames.push(frame);
    this.arrivals.push(channel);
    // A barrier ends its frame; an overdue one overtakes the frames buffered ahead of it.
    if (last?.kind === "barrier" && this.options.isOverdue?.(last)) this.options.onPriority?.(channel, [last]);
    this.options.onReadable();
  }

  /** Copies an arriving frame into the channel's recording, up to the in-band barrier it waits for. */
  private record(channel: InputChannel, elements: DataElement[]): void {
    const at = barrierAt(elements, channel.recordingFor);
    if (at < 0) {
      channel.recording!.push(elements);
      return;
    }
    channel.recording!.push(elements.slice(0, at));
    channel.recording = undefined;
    this.options.onRecordedBarrier?.(channel, channel.recordingFor);
  }

  private announce(channel: InputChannel): void {
    channel.announced = channel.consumed + this.credits;
    this.options.bus.publish(channel.creditSubject, encode({ type: "credit", consumer: this.options.consumer, credits: channel.announced, token: this.options.token }));
  }

  /** Re-announces credit on channels that stayed quiet, repairing grants lost before the producer listened. */
  private scheduleRefresh(): void {
    this.refreshTimer = this.options.clock.setTimeout(() => {
      if (this.closed) return;
      for (const channel of this.channels) {
        if (!channel.ended && !channel.receivedSinceRefresh && channel.frames.length === 0) this.announce(channel);
        channel.receivedSinceRefresh = false;
      }
      this.scheduleRefresh();
    }, CREDIT_REFRESH_MS);
  }
}

/** Where a frame's barrier of `checkpointId` is among its elements, or -1. */
function barrierAt(elements: readonly DataElement[], checkpointId: number): number {
  return elements.findIndex((e) => e.kind === "barrier" && e.checkpointId === checkpointId);
}
