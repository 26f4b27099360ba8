// A reader's side of watermark alignment on a bus: it holds once its watermark passes the bound
// (nothing is allowed before the first), pauses the split that is ahead, resumes under a higher
// bound, and rejects and counts malformed or foreign bound messages, going on as before.

import { describe, expect, it } from "vitest";
import { InProcessBus } from "../../src/bus/in-process-bus.ts";
import { subjects } from "../../src/bus/subjects.ts";
import { SimulatedClock } from "../../src/core/clock.ts";
import { WatermarkStrategy } from "../../src/core/watermark-strategy.ts";
import { decode, encode } from "../../src/messages/codec.ts";
import { Rejections } from "../../src/messages/rejections.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { SplitWatermarks } from "../../src/operators/split-watermarks.ts";
import { SourceAlignment } from "../../src/runtime/source-alignment.ts";

/** Waits for a condition (bus deliveries are asynchronous). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe("a source reader's alignment", () => {
  it("holds above the bound, pauses and resumes the split ahead, and rejects bad bound messages", async () => {
    const bus = new InProcessBus();
    const metrics = new MetricRegistry();
    const task = { jobId: "job-1", vertexId: "v1", subtaskIndex: 0, attempt: 0 };
    const strategy = WatermarkStrategy.forGenerator<number>(() => ({ onEvent: (_e, ts, out) => out.emitWatermark(ts), onPeriodicEmit: () => undefined }));
    const watermarks = new SplitWatermarks<unknown>(() => strategy.createGenerator({ now: () => 0 }) as never);
    const calls: string[] = [];
    const reader = { pollNext: () => "nothing" as const, pauseOrResumeSplits: (pause: readonly string[], resume: readonly string[]) => void calls.push(`pause ${pause} resume ${resume}`) };
    const reports: number[] = [];
    bus.subscribe(subjects.alignmentReports("job-1"), (data) => {
      const out = decode(data, ["watermark-report"]);
      if (out.ok) reports.push(out.message.watermark);
    });
    const alignment = new SourceAlignment({
      bus,
      clock: new SimulatedClock(),
      task,
      token: "t",
      rejections: new Rejections(metrics, silentLogger(), "test alignment"),
      alignment: { group: "g", maxDriftMs: 100, updateIntervalMs: 1000 },
      watermarks,
      reader,
      fail: (error) => {
        throw error;
      },
    });
    alignment.start();
    expect(alignment.holds()).toBe(false);
    const a = watermarks.split("a");
    const b = watermarks.split("b");
    watermarks.onEvent(b, 0, 50);
    watermarks.onEvent(a, 0, 300);
    // No bound yet: the split ahead pauses, and the reader as a whole (its watermark, 50, is above -∞).
    expect(alignment.holds()).toBe(true);
    expect(calls).toEqual(["pause a,b resume "]);
    const bound = (maxAllowedWatermark: number, group = "g") => bus.publish(subjects.alignmentBound("job-1", "g"), encode({ type: "watermark-bound", jobId: "job-1", group, maxAllowedWatermark }));
    bound(150);
    await until(() => !alignment.holds());
    expect(calls).toEqual(["pause a,b resume ", "pause  resume b"]);
    // Malformed and foreign bounds are rejected and counted; nothing changes.
    bus.publish(subjects.alignmentBound("job-1", "g"), new Uint8Array([0xc1, 0x00]));
    bus.publish(subjects.alignmentBound("job-1", "g"), encode({ type: "watermark-bound", jobId: "job-1", group: "g", maxAllowedWatermark: "high" } as never));
    bound(10_000, "other");
    await until(() => metrics.sum("weir_rejected_messages_total", { endpoint: "test alignment" }) >= 3);
    expect(metrics.sum("weir_rejected_messages_total", { endpoint: "test alignment" })).toBe(3);
    expect(alignment.holds()).toBe(false);
    bound(400);
    await until(() => calls.length === 3);
    expect(calls.at(-1)).toBe("pause  resume a");
    expect(reports.length).toBeGreaterThan(0);
    alignment.close();
  });
});
