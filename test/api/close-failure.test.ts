// A user function whose close() throws when a job ends normally fails the job with that error —
// it never leaves the job hanging — and every other operator of the chain is still closed.

import { expect, it } from "vitest";
import { RichMapFunction, StreamExecutionEnvironment } from "../../src/index.ts";

/**
 * A pass-through map counting its close() calls; with `throws`, close() fails after counting.
 * Each subtask gets a deep copy of its fields, so the count is reached through a closure, shared on purpose.
 */
class CountsClose extends RichMapFunction<number, number> {
  private readonly countClose: () => void;
  constructor(counter: { count: number }, private readonly throws = false) {
    super();
    this.countClose = () => (counter.count += 1);
  }
  map(value: number): number {
    return value;
  }
  override close(): void {
    this.countClose();
    if (this.throws) throw new Error("close failed on purpose");
  }
}

it("a close() that throws at the end of a bounded job fails the job with its error, and the rest of the chain is closed", async () => {
  const failing = { count: 0 };
  const after = { count: 0 };
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  env.fromSequence(1, 100).map(new CountsClose(failing, true)).map(new CountsClose(after)).collect();
  await expect(env.execute("close fails")).rejects.toThrow(/close failed on purpose/);
  expect({ failing: failing.count, after: after.count }).toEqual({ failing: 2, after: 2 });
});
