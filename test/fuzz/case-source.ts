// Fuzzed messages per subject, from a fixed seed: half from the samples of the types the
// subject's endpoint accepts, half from any type. Mutants the endpoint would accept are counted and
// dropped, so every message handed out is one the receiver must reject.

import fc from "fast-check";
import { decode } from "../../src/messages/codec.ts";
import type { MessageType } from "../../src/messages/schema.ts";
import { fuzzCase, type FuzzCase } from "./mutators.ts";
import { expectedTypes } from "./subject-endpoints.ts";

export class CaseSource {
  skippedValid = 0;
  private readonly buffers = new Map<string, FuzzCase[]>();
  private draws = 0;
  private pick: number;

  constructor(private readonly seed: number) {
    this.pick = seed >>> 0 || 1;
  }

  /** A subject from `subjects` and a case its endpoint rejects. */
  next(subjects: readonly string[]): { subject: string; bytes: Uint8Array } {
    for (;;) {
      const subject = subjects[this.random() % subjects.length];
      const types = expectedTypes(subject);
      const own = this.random() % 2 === 0 && types.length > 0;
      const c = this.take(own ? types : undefined);
      if (types.length > 0 && decode(c.bytes, types).ok) {
        this.skippedValid += 1;
        continue;
      }
      return { subject, bytes: c.bytes };
    }
  }

  private take(types: MessageType[] | undefined): FuzzCase {
    const key = types?.join(",") ?? "*";
    let buffer = this.buffers.get(key);
    if (!buffer || buffer.length === 0) {
      buffer = fc.sample(fuzzCase(types), { seed: this.seed + 7919 * ++this.draws, numRuns: 500 });
      this.buffers.set(key, buffer);
    }
    return buffer.pop()!;
  }

  /** xorshift32: picks subjects without disturbing fast-check's seeds. */
  private random(): number {
    let x = this.pick;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.pick = x >>> 0;
    return this.pick;
  }
}
