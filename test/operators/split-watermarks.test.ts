// A reader's watermark over its splits by traces: the minimum over active splits, an idle split
// left out, a released one forgotten, the reader idle when all are.

import { describe, expect, it } from "vitest";
import { WatermarkStrategy } from "../../src/core/watermark-strategy.ts";
import { SplitWatermarks } from "../../src/operators/split-watermarks.ts";

describe("split watermarks", () => {
  it("follow the slowest active split; an idle split does not hold the reader back, a released one stops counting", () => {
    let now = 0;
    const strategy = WatermarkStrategy.forMonotonousTimestamps<number>().withIdleness(1000);
    const w = new SplitWatermarks<number>(() => strategy.createGenerator({ now: () => now }));
    const a = w.split("a");
    const b = w.split("b");
    w.onEvent(a, 0, 500);
    w.onEvent(b, 0, 100);
    expect(w.onPeriodicEmit()).toEqual({ watermark: 99 });
    w.onEvent(a, 0, 900);
    now = 600;
    expect(w.onPeriodicEmit()).toEqual({}); // b still holds it
    now = 1200; // b has had nothing for 1000 ms: idle
    w.onEvent(a, 0, 1300);
    expect(w.onPeriodicEmit()).toEqual({ watermark: 1299 });
    now = 2500; // a idle too: the reader is idle
    expect(w.onPeriodicEmit()).toEqual({ status: "idle" });
    expect(w.onEvent(b, 0, 200)).toEqual({ status: "active" }); // b back, below the reader's: no regression
    expect(w.currentWatermark).toBe(1299);
    expect(w.release("b")).toEqual({ status: "idle" }); // only a (idle) is left
    w.release("a");
    // No named split left: the reader's own split counts again (never had a record, not idle yet with this clock).
    expect(w.currentStatus).toBe("idle");
  });

  it("behaves as one stream when the reader names no split", () => {
    const w = new SplitWatermarks<number>(() => WatermarkStrategy.forMonotonousTimestamps<number>().createGenerator({ now: () => 0 }));
    w.onEvent(w.own, 0, 10);
    expect(w.onPeriodicEmit()).toEqual({ watermark: 9 });
  });
});
