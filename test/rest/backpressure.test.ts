// Backpressure as Flink's REST API reports it: ratio = backpressured ms per second / 1000, and the
// level of each subtask and of the vertex (its worst subtask): ok ≤ 0.1 < low ≤ 0.5 < high.

import { describe, expect, it } from "vitest";
import { backpressureLevel, vertexBackpressure } from "../../src/rest/backpressure.ts";
import type { SubtaskMetrics, VertexView } from "../../src/observability/views.ts";

function metrics(backPressuredMsPerSecond: number, busyMsPerSecond: number): SubtaskMetrics {
  return {
    recordsIn: 0, recordsOut: 0, bytesIn: 0, bytesOut: 0, recordsInPerSecond: 0, recordsOutPerSecond: 0,
    busyMsPerSecond, backPressuredMsPerSecond, idleMsPerSecond: 1000 - busyMsPerSecond - backPressuredMsPerSecond,
    inputWatermark: null, outputWatermark: null, queuedFrames: 0, framesAwaitingCredit: 0, uptimeMs: 1000, at: 0,
  };
}

function vertex(subtasks: (SubtaskMetrics | null)[]): VertexView {
  return {
    id: "v1", name: "map", parallelism: subtasks.length, maxParallelism: 128, isSource: false, slotSharingGroup: "default", states: { running: subtasks.length },
    metrics: { recordsIn: 0, recordsOut: 0, recordsInPerSecond: 0, recordsOutPerSecond: 0, busyMsPerSecond: 0, backPressuredMsPerSecond: 0, inputWatermark: null, outputWatermark: null },
    subtasks: subtasks.map((m, index) => ({ index, attempt: 0, state: "running", metrics: m })),
  };
}

describe("backpressure", () => {
  it("levels a ratio as Flink does: ok up to 0.1, low up to 0.5, high above", () => {
    expect([0, 0.1, 0.1001, 0.5, 0.5001, 1].map(backpressureLevel)).toEqual(["ok", "ok", "low", "low", "high", "high"]);
  });

  it("gives each subtask its ratio, busy ratio and level, and the vertex the level of its worst subtask", () => {
    expect(vertexBackpressure(vertex([metrics(50, 900), metrics(300, 600), null]))).toEqual({
      status: "ok",
      backpressureLevel: "low",
      subtasks: [
        { subtask: 0, backpressureLevel: "ok", ratio: 0.05, busyRatio: 0.9 },
        { subtask: 1, backpressureLevel: "low", ratio: 0.3, busyRatio: 0.6 },
        { subtask: 2, backpressureLevel: "ok", ratio: 0, busyRatio: 0 },
      ],
    });
    expect(vertexBackpressure(vertex([metrics(800, 100)])).backpressureLevel).toBe("high");
  });
});
