// The producing end of one channel (edge, producer subtask → consumer subtask). Batches records
// into frames, keeps control elements in order with them, numbers frames, and sends only with
// credit: frames beyond the consumer's grant wait here, which is how backpressure reaches sources.

import type { Bus } from "../bus/bus.ts";
import { encodeVersioned } from "../messages/codec.ts";
import { PROTOCOL_VERSION, type DataElement, type Frame } from "../messages/schema.ts";

import { DEFAULT_FRAME_BYTES, MAX_FRAME_BYTES, RecordTooLargeError } from "../messages/frame-limits.ts";

export { DEFAULT_FRAME_BYTES, MAX_FRAME_BYTES, checkBufferTimeout, RecordTooLargeError } from "../messages/frame-limits.ts";

export class ChannelWriter {
  private records: unknown[] = [];
  /** Event times of `records`, created only once a record in the batch has one. */
  private timestamps: (number | null)[] | undefined;
  private elements: DataElement[] = [];
  private seq = 0;
  private granted = 0;
  private sent = 0;
  private readonly waiting: Uint8Array[] = [];
  /** Records per frame, adapted from observed sizes so frames land near `targetBytes`. */
  private recordLimit = 64;
  bytesSent = 0;
  framesSent = 0;
  /** Records framed for this channel so far (sent or waiting for credit). */
  recordsFramed = 0;
  /** The last watermark put on this channel (-Infinity before the first). */
  lastWatermark = -Infinity;

  constructor(
    private readonly bus: Bus,
    private readonly subject: string,
    private readonly producer: number,
    /** The attempt's channel token: consumers accept only frames that carry it. */
    private readonly token: string,
    private readonly onCredit: () => void,
    private readonly targetBytes = DEFAULT_FRAME_BYTES,
  ) {}

  /** Appends a record (with its event time, if it has one); flushes when the frame is full. */
  emit(record: unknown, timestamp?: number): void {
    if (timestamp !== undefined || this.timestamps !== undefined) this.pushTimestamp(timestamp);
    this.records.push(record);
    if (this.records.length >= this.recordLimit) this.flush();
  }

  private pushTimestamp(timestamp: number | undefined): void {
    if (this.timestamps === undefined) this.timestamps = new Array<number | null>(this.records.length).fill(null);
    this.timestamps.push(timestamp ?? null);
  }

  /** Appends a control element after everything emitted so far, and flushes. */
  emitControl(element: DataElement): void {
    if (element.kind === "watermark") this.lastWatermark = element.timestamp;
    this.closeRecordBatch();
    this.elements.push(element);
    this.flush();
  }

  /**
   * Sends `element` at once as a priority frame (seq 0, no credit needed), ahead of every frame
   * still queued here: how an unaligned barrier overtakes in-flight data.
   */
  emitPriority(element: DataElement): void {
    const frame: Frame = { type: "frame", v: PROTOCOL_VERSION, seq: 0, producer: this.producer, token: this.token, elements: [element] };
    this.bus.publish(this.subject, encodeVersioned(frame));
  }

  /**
   * What this channel holds that its consumer has not been sent: the frames waiting for credit and
   * the elements not yet framed, in order (an unaligned checkpoint stores them). Nothing is removed.
   */
  inFlight(decodeFrame: (bytes: Uint8Array) => DataElement[]): DataElement[] {
    this.closeRecordBatch();
    const elements: DataElement[] = [];
    for (const bytes of this.waiting) elements.push(...decodeFrame(bytes));
    elements.push(...this.elements);
    return elements;
  }

  /** True when buffered output can leave now: no frames are waiting for credit. */
  get hasCredit(): boolean {
    return this.waiting.length === 0 && this.sent < this.granted;
  }

  /** Frames waiting for credit. */
  get waitingFrames(): number {
    return this.waiting.length;
  }

  /** True when frames wait for credit: the producer must stop taking input. */
  get isBackpressured(): boolean {
    return this.waiting.length > 0;
  }

  get hasBufferedRecords(): boolean {
    return this.records.length > 0 || this.elements.length > 0;
  }

  /** Credits are cumulative (total frames the consumer can take since the start), so a lost grant is repaired by the next. */
  grant(totalCredits: number): void {
    if (totalCredits <= this.granted) return;
    this.granted = totalCredits;
    while (this.waiting.length > 0 && this.sent < this.granted) this.send(this.waiting.shift()!);
    this.onCredit();
  }

  /** Closes the current frame and sends it (or queues it until credit arrives). */
  flush(): void {
    this.closeRecordBatch();
    if (this.elements.length === 0) return;
    const elements = this.elements;
    this.elements = [];
    for (const bytes of this.encodeFrames(elements)) {
      if (this.waiting.length === 0 && this.sent < this.granted) this.send(bytes);
      else this.waiting.push(bytes);
    }
  }

  private closeRecordBatch(): void {
    if (this.records.length === 0) return;
    this.elements.push(this.timestamps ? { kind: "records", records: this.records, timestamps: this.timestamps } : { kind: "records", records: this.records });
    this.records = [];
    this.timestamps = undefined;
  }

  private encodeFrames(elements: DataElement[]): Uint8Array[] {
    const frame: Frame = { type: "frame", v: PROTOCOL_VERSION, seq: this.seq + 1, producer: this.producer, token: this.token, elements };
    const bytes = encodeVersioned(frame);
    const recordCount = countRecords(elements);
    if (bytes.length > MAX_FRAME_BYTES) {
      if (elements.length === 1 && recordCount <= 1) throw new RecordTooLargeError(bytes.length);
      const [left, right] = splitElements(elements);
      this.recordLimit = Math.max(1, this.recordLimit >> 1);
      return [...this.encodeFrames(left), ...this.encodeFrames(right)];
    }
    this.seq += 1;
    this.recordsFramed += recordCount;
    if (recordCount >= 8) this.adaptRecordLimit(bytes.length, recordCount);
    return [bytes];
  }

  private adaptRecordLimit(bytes: number, records: number): void {
    const perRecord = bytes / records;
    this.recordLimit = Math.max(1, Math.min(16_384, Math.floor(this.targetBytes / perRecord)));
  }

  private send(bytes: Uint8Array): void {
    this.sent += 1;
    this.framesSent += 1;
    this.bytesSent += bytes.length;
    this.bus.publish(this.subject, bytes);
  }
}

function countRecords(elements: DataElement[]): number {
  let count = 0;
  for (const element of elements) if (element.kind === "records") count += element.records.length;
  return count;
}

/** Splits a frame's elements in two, keeping order; a lone record batch is split down the middle. */
function splitElements(elements: DataElement[]): [DataElement[], DataElement[]] {
  if (elements.length > 1) {
    const middle = Math.ceil(elements.length / 2);
    return [elements.slice(0, middle), elements.slice(middle)];
  }
  const only = elements[0];
  if (only.kind !== "records") throw new Error(`a ${only.kind} element alone exceeds the frame limit`);
  const middle = Math.ceil(only.records.length / 2);
  const half = (from: number, to?: number): DataElement =>
    only.timestamps ? { kind: "records", records: only.records.slice(from, to), timestamps: only.timestamps.slice(from, to) } : { kind: "records", records: only.records.slice(from, to) };
  return [[half(0, middle)], [half(middle)]];
}
