// Fuzz target 4, short: a real `weir jobmanager` and `weir worker` on a real nats-server, a word
// count job submitted by `weir run`, and a plain NATS client publishing fuzzed messages on every
// kind of subject the processes serve (learned by listening) while it runs: the counts are exact,
// both processes are alive afterwards, and no handler threw.

import { describe, expect, it } from "vitest";
import { fuzzLiveCluster } from "./live-target.ts";
import { EVERY_SUBJECT_KIND } from "./subject-endpoints.ts";

describe("a live cluster under fuzzed messages", () => {
  it("rejects them all while word count runs with exact counts, and both processes stay up (fixed seed, 1,500 messages)", async () => {
    const report = await fuzzLiveCluster({ seed: 20_261_204, messages: 1500, linesPerJob: 6000 });
    expect(report.firstErrors).toEqual([]);
    expect(report.crashes).toBe(0);
    expect(report.handlerExceptions).toBe(0);
    expect(report.outputExact).toBe(true);
    expect(report.messages).toBe(1500);
    expect(report.subjectKinds).toEqual(EVERY_SUBJECT_KIND);
    const rejected = Object.values(report.rejectedByReason).reduce((a, b) => a + b, 0);
    expect(rejected).toBe(1500);
  });
});
