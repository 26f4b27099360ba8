// A snapshot of heap keyed state that does not stop the input (copy-on-access by key group). At the
// barrier nothing is copied: the capture only notes that every key group is still to be taken. A key
// group is encoded — that is the copy — when a state access first touches it afterwards (before the
// access can change anything), or by finish(), which encodes the rest in short slices between
// which the input keeps flowing. The result is the state exactly as it was at the barrier.

import { setImmediate as nextTurn } from "node:timers/promises";

/** One key group encoded, or null when it held no state. */
export type EncodeKeyGroup = (groupIndex: number) => Uint8Array | null;

/** How long finish() encodes before it lets the input run again (ms). */
const SLICE_MS = 4;

export class KeyGroupCapture {
  /** Per key group index: undefined while still to be taken, null when it was empty. */
  private readonly parts: (Uint8Array | null | undefined)[];
  private remaining: number;
  private next = 0;
  /** Encoding a key group failed (a value msgpack cannot carry): finish() rejects with it. */
  private failure: Error | undefined;

  /** `done` runs once every key group is taken (the backend stops routing accesses here). */
  constructor(groupCount: number, private readonly encode: EncodeKeyGroup, private readonly done: () => void) {
    this.parts = new Array<Uint8Array | null | undefined>(groupCount).fill(undefined);
    this.remaining = groupCount;
    if (groupCount === 0) done();
  }

  /** A state access is about to touch the key group: take it first if it is still to be taken. */
  touch(groupIndex: number): void {
    if (this.parts[groupIndex] === undefined) this.take(groupIndex);
  }

  /** Takes every key group still to be taken, now (a newer snapshot is about to start). */
  takeAll(): void {
    while (this.remaining > 0) this.takeNext();
  }

  /** Takes the remaining key groups in slices of a few ms; resolves with the encoded groups in key group order. */
  async finish(): Promise<Uint8Array[]> {
    while (this.remaining > 0) {
      const until = performance.now() + SLICE_MS;
      while (this.remaining > 0 && performance.now() < until) this.takeNext();
      if (this.remaining > 0) await nextTurn();
    }
    if (this.failure) throw this.failure;
    return this.parts.filter((part): part is Uint8Array => part instanceof Uint8Array);
  }

  private takeNext(): void {
    while (this.parts[this.next] !== undefined) this.next++;
    this.take(this.next);
  }

  private take(groupIndex: number): void {
    try {
      this.parts[groupIndex] = this.encode(groupIndex);
    } catch (error) {
      // Not thrown into the record being processed: the checkpoint fails, the job goes on.
      this.parts[groupIndex] = null;
      this.failure ??= error as Error;
    }
    this.remaining--;
    if (this.remaining === 0) this.done();
  }
}
