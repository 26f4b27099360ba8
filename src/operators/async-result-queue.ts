// The queue of an async I/O operator: the records whose results are not yet emitted, in input
// order, with the watermarks between them. It receives completions in any order and decides what
// may leave: in order (ordered), or as they complete but never across a watermark (unordered).
// Pure bookkeeping: what it emits goes to the AsyncQueueOutput it was given, synchronously.

/** One input record waiting for its results. */
export interface AsyncQueueEntry {
  readonly record: unknown;
  /** Its event time, restored on the output when its results leave. */
  readonly timestamp: number | undefined;
  /** Set when the request completed. */
  results: readonly unknown[] | undefined;
}

export interface AsyncQueueOutput {
  emitResults(entry: AsyncQueueEntry): void;
  emitWatermark(timestamp: number): void;
}

export type AsyncOutputMode = "ordered" | "unordered";

export interface AsyncResultQueue {
  /** Records held (in flight or completed but not yet emitted). */
  readonly size: number;
  add(entry: AsyncQueueEntry): void;
  /** A watermark leaves once every record before it has left (at once when none is held). */
  addWatermark(timestamp: number): void;
  /** The request of `entry` completed with `results`: emits whatever may now leave. */
  complete(entry: AsyncQueueEntry, results: readonly unknown[]): void;
  /** The records held (what a snapshot stores): in input order, or segment by segment when unordered. */
  entries(): AsyncQueueEntry[];
}

export function createAsyncResultQueue(mode: AsyncOutputMode, output: AsyncQueueOutput): AsyncResultQueue {
  return mode === "ordered" ? new OrderedResultQueue(output) : new UnorderedResultQueue(output);
}

type OrderedElement = AsyncQueueEntry | { readonly watermark: number };

/** Results leave in input order: the head leaves when it completed, then whatever completed behind it. */
class OrderedResultQueue implements AsyncResultQueue {
  private readonly elements: OrderedElement[] = [];
  private head = 0;
  size = 0;

  constructor(private readonly output: AsyncQueueOutput) {}

  add(entry: AsyncQueueEntry): void {
    this.elements.push(entry);
    this.size++;
  }

  addWatermark(timestamp: number): void {
    if (this.size === 0) {
      this.output.emitWatermark(timestamp);
      return;
    }
    const last = this.elements[this.elements.length - 1];
    // Two watermarks with no record between them: only the later one matters.
    if ("watermark" in last) this.elements[this.elements.length - 1] = { watermark: timestamp };
    else this.elements.push({ watermark: timestamp });
  }

  complete(entry: AsyncQueueEntry, results: readonly unknown[]): void {
    entry.results = results;
    const elements = this.elements;
    while (this.head < elements.length) {
      const next = elements[this.head];
      if ("watermark" in next) this.output.emitWatermark(next.watermark);
      else if (next.results === undefined) break;
      else {
        this.size--;
        this.output.emitResults(next);
      }
      this.head++;
    }
    // Compact now and then, so the array does not keep every element ever added.
    if (this.head > 1024 && this.head * 2 > elements.length) {
      elements.splice(0, this.head);
      this.head = 0;
    }
  }

  entries(): AsyncQueueEntry[] {
    const held: AsyncQueueEntry[] = [];
    for (let i = this.head; i < this.elements.length; i++) {
      const element = this.elements[i];
      if (!("watermark" in element)) held.push(element);
    }
    return held;
  }
}

/** The records between two watermarks: those still in flight, and those completed while an earlier segment was open. */
interface Segment {
  readonly pending: Set<AsyncQueueEntry>;
  readonly completed: AsyncQueueEntry[];
  /** The watermark that closes it (the last segment has none). */
  watermark?: number;
}

/** Results leave as they complete within the oldest segment; a watermark leaves when its segment is empty. */
class UnorderedResultQueue implements AsyncResultQueue {
  private readonly segments: Segment[] = [{ pending: new Set(), completed: [] }];
  size = 0;

  constructor(private readonly output: AsyncQueueOutput) {}

  add(entry: AsyncQueueEntry): void {
    this.segments[this.segments.length - 1].pending.add(entry);
    this.size++;
  }

  addWatermark(timestamp: number): void {
    const segments = this.segments;
    const last = segments[segments.length - 1];
    const lastIsEmpty = last.pending.size === 0 && last.completed.length === 0;
    if (lastIsEmpty && segments.length === 1) this.output.emitWatermark(timestamp);
    else if (lastIsEmpty) segments[segments.length - 2].watermark = timestamp;
    else {
      last.watermark = timestamp;
      segments.push({ pending: new Set(), completed: [] });
    }
  }

  complete(entry: AsyncQueueEntry, results: readonly unknown[]): void {
    entry.results = results;
    const segments = this.segments;
    const oldest = segments[0];
    if (oldest.pending.delete(entry)) {
      this.size--;
      this.output.emitResults(entry);
      this.closeFinishedSegments();
      return;
    }
    for (let i = 1; i < segments.length; i++) {
      if (segments[i].pending.delete(entry)) {
        segments[i].completed.push(entry);
        return;
      }
    }
  }

  /** While the oldest segment has nothing in flight and a watermark closes it: the watermark leaves, then what completed in the next. */
  private closeFinishedSegments(): void {
    const segments = this.segments;
    while (segments.length > 1 && segments[0].pending.size === 0) {
      this.output.emitWatermark(segments[0].watermark!);
      segments.shift();
      const next = segments[0];
      for (const entry of next.completed) {
        this.size--;
        this.output.emitResults(entry);
      }
      next.completed.length = 0;
    }
  }

  entries(): AsyncQueueEntry[] {
    const held: AsyncQueueEntry[] = [];
    for (const segment of this.segments) held.push(...segment.completed, ...segment.pending);
    return held;
  }
}
