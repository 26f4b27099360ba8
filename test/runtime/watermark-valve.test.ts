// The status/watermark valve as traces: each step is one channel's event, and the expected
// output is what the input as a whole says after it (Flink's StatusWatermarkValve behaviour).

import { describe, expect, it } from "vitest";
import { StatusWatermarkValve, type ValveOutput } from "../../src/runtime/watermark-valve.ts";

type Step = ["wm", number, number] | ["idle", number] | ["active", number] | ["end", number];

/** Runs a trace and returns, per step, the output (watermark and/or status) or null. */
function run(channels: number, steps: Step[]): (ValveOutput | null)[] {
  const valve = new StatusWatermarkValve(channels);
  return steps.map((step) => {
    let out: ValveOutput;
    if (step[0] === "wm") out = valve.inputWatermark(step[1], step[2]);
    else if (step[0] === "end") out = valve.endOfInput(step[1]);
    else out = valve.inputStatus(step[1], step[0]);
    return Object.keys(out).length === 0 ? null : out;
  });
}

describe("the watermark of an input", () => {
  it("is the minimum over its channels, and moves only when the minimum does", () => {
    expect(run(2, [["wm", 0, 5], ["wm", 1, 3], ["wm", 1, 7], ["wm", 0, 6], ["wm", 0, 9]])).toEqual([
      null,
      { watermark: 3 },
      { watermark: 5 },
      { watermark: 6 },
      { watermark: 7 },
    ]);
  });

  it("never goes back: a lower watermark on a channel is ignored", () => {
    expect(run(1, [["wm", 0, 10], ["wm", 0, 4], ["wm", 0, 10], ["wm", 0, 11]])).toEqual([{ watermark: 10 }, null, null, { watermark: 11 }]);
  });

  it("leaves an idle channel out of the minimum, so the others move it on", () => {
    expect(run(2, [["wm", 0, 5], ["wm", 1, 2], ["idle", 1], ["wm", 0, 8]])).toEqual([null, { watermark: 2 }, { watermark: 5 }, { watermark: 8 }]);
  });

  it("lets a channel that comes back rejoin only once it has caught up, so the watermark cannot regress", () => {
    expect(
      run(2, [
        ["wm", 0, 10],
        ["wm", 1, 10],
        ["idle", 1],
        ["wm", 0, 20],
        ["active", 1],
        ["wm", 1, 15], // behind the input's 20: not aligned, does not pull it back
        ["wm", 0, 30], // the minimum of aligned channels is now channel 0 alone
        ["wm", 1, 25], // still behind 30
        ["wm", 1, 35], // caught up: rejoins
        ["wm", 0, 40],
      ]),
    ).toEqual([null, { watermark: 10 }, null, { watermark: 20 }, null, null, { watermark: 30 }, null, null, { watermark: 35 }]);
  });

  it("ignores watermarks from an idle channel until it is active again", () => {
    expect(run(2, [["wm", 0, 1], ["wm", 1, 1], ["idle", 1], ["wm", 1, 50], ["wm", 0, 3]])).toEqual([null, { watermark: 1 }, null, null, { watermark: 3 }]);
  });
});

describe("the status of an input", () => {
  it("is idle when every channel is idle, carrying the highest channel watermark, and active with the first active channel", () => {
    expect(run(2, [["wm", 0, 4], ["wm", 1, 9], ["idle", 0], ["idle", 1], ["active", 1], ["wm", 1, 12]])).toEqual([
      null,
      { watermark: 4 },
      { watermark: 9 },
      { status: "idle" },
      { status: "active" },
      { watermark: 12 },
    ]);
  });

  it("does not repeat a status it already has", () => {
    expect(run(1, [["idle", 0], ["idle", 0], ["active", 0], ["active", 0]])).toEqual([{ status: "idle" }, null, { status: "active" }, null]);
  });
});

describe("a channel that ends", () => {
  it("never holds the input back again", () => {
    expect(run(2, [["wm", 0, 3], ["wm", 1, 1], ["end", 1], ["wm", 0, 9], ["end", 0]])).toEqual([
      null,
      { watermark: 1 },
      { watermark: 3 },
      { watermark: 9 },
      { watermark: Infinity },
    ]);
  });

  it("makes an idle input active again, so the final watermark flows", () => {
    expect(run(1, [["wm", 0, 2], ["idle", 0], ["end", 0]])).toEqual([{ watermark: 2 }, { status: "idle" }, { status: "active", watermark: Infinity }]);
  });
});

describe("the watermark of a two-input operator", () => {
  it("is the minimum of both inputs, leaving out an idle one, and never goes back", async () => {
    const { CombinedWatermark } = await import("../../src/operators/combined-watermark.ts");
    const combined = new CombinedWatermark();
    expect(combined.onWatermark(0, 10)).toBeUndefined(); // input 1 still at −∞
    expect(combined.onWatermark(1, 5)).toBe(5);
    expect(combined.onStatus(1, "idle")).toBe(10); // only input 0 counts
    expect(combined.onWatermark(1, 7)).toBeUndefined(); // idle input's watermark noted, not counted
    expect(combined.onStatus(1, "active")).toBeUndefined(); // back, but min(10, 7) would go back: stays
    expect(combined.onWatermark(1, 20)).toBeUndefined(); // min(10, 20) = 10, no advance
    expect(combined.onWatermark(0, 30)).toBe(20);
    expect(combined.onStatus(0, "idle")).toBeUndefined();
    expect(combined.onStatus(1, "idle")).toBeUndefined(); // both idle: nothing to say
  });
});
