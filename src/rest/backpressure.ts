// A vertex's backpressure as Flink's REST API reports it, from the subtask metrics the cluster
// answers with: ratio = backpressured ms per second / 1000; ok up to 0.1, low up to 0.5, high above.

import type { VertexView } from "../observability/views.ts";
import type { Backpressure, BackpressureLevel } from "./rest-schemas.ts";

export function backpressureLevel(ratio: number): BackpressureLevel {
  if (ratio <= 0.1) return "ok";
  if (ratio <= 0.5) return "low";
  return "high";
}

/** A subtask that has reported no metrics yet counts as not backpressured and not busy. */
export function vertexBackpressure(vertex: VertexView): Backpressure {
  const subtasks = vertex.subtasks.map((subtask) => {
    const ratio = (subtask.metrics?.backPressuredMsPerSecond ?? 0) / 1000;
    const busyRatio = (subtask.metrics?.busyMsPerSecond ?? 0) / 1000;
    return { subtask: subtask.index, backpressureLevel: backpressureLevel(ratio), ratio, busyRatio };
  });
  const worst = Math.max(0, ...subtasks.map((s) => s.ratio));
  return { status: "ok", backpressureLevel: backpressureLevel(worst), subtasks };
}
