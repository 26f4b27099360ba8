// Fuzz target 1, short: structure-aware mutants of every message type (and random bytes) never
// make decode throw, and every rejection has a known reason and a bounded detail. A fast-check
// property shrinks any counterexample to a small input, which then becomes a regression test.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Rejections } from "../../src/messages/rejections.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { checkDecode, fuzzCodec } from "./codec-target.ts";
import { fuzzCase } from "./mutators.ts";

describe("the codec under fuzzed messages", () => {
  it("never throws and gives every rejection a reason and a detail (fixed seed, 2,000 messages)", () => {
    const { report, failures } = fuzzCodec(20_261_202, 2000);
    expect(failures).toEqual([]);
    expect(report.crashes).toBe(0);
    expect(report.messages).toBe(2000);
    const rejected = Object.values(report.rejectedByReason).reduce((a, b) => a + b, 0);
    expect(rejected + report.skippedValid).toBe(2000);
    expect(Object.keys(report.rejectedByReason).sort()).toEqual(["invalid", "malformed", "oversized", "unknown-type", "wrong-version"]);
  });

  it("holds as a property over another 500 shrinkable cases", () => {
    const rejections = new Rejections(new MetricRegistry(), silentLogger(), "codec");
    fc.assert(
      fc.property(fuzzCase(), (c) => checkDecode(c, rejections) === undefined),
      { seed: 7, numRuns: 500 },
    );
  });
});
