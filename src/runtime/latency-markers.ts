// Latency markers at one subtask: a source emits one on every output channel each interval; other
// subtasks pass each marker on along one channel per output (as Flink does); a sink records its
// age in the histogram `weir_latency_ms`. Markers ride in-band, like watermarks.

import type { DataElement, JobVertexSpec, SubtaskId } from "../messages/schema.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { Clock } from "../core/clock.ts";
import type { PartitionedOutput } from "./operator-chain.ts";

type LatencyMarker = Extract<DataElement, { kind: "latency-marker" }>;

export class LatencyMarkers {
  private timer: unknown;
  private cursor = 0;

  constructor(
    private readonly options: {
      task: SubtaskId;
      vertex: JobVertexSpec;
      clock: Clock;
      metrics: MetricRegistry;
      outputs: readonly PartitionedOutput[];
      /** Milliseconds between a source's markers; 0 or less: none. */
      intervalMs: number;
    },
  ) {}

  /** Sources: starts emitting a marker on every output channel each interval; `live` says whether to go on. */
  start(live: () => boolean, guard: (fn: () => void) => void): void {
    const { intervalMs, vertex, clock, task, outputs } = this.options;
    if (intervalMs <= 0 || !vertex.isSource) return;
    const tick = () => {
      if (!live()) return;
      const marker: DataElement = { kind: "latency-marker", markedTime: clock.now(), sourceVertex: vertex.id, sourceSubtask: task.subtaskIndex };
      guard(() => {
        for (const output of outputs) output.broadcastControl(marker);
      });
      this.timer = clock.setTimeout(tick, intervalMs);
    };
    this.timer = clock.setTimeout(tick, intervalMs);
  }

  /** A marker arrived: a sink records its age; others pass it on along one channel per output. */
  onMarker(marker: LatencyMarker): void {
    const { outputs, metrics, vertex, clock } = this.options;
    if (outputs.length === 0) {
      metrics.histogram("weir_latency_ms", { sink: vertex.id, source: marker.sourceVertex, sourceSubtask: String(marker.sourceSubtask) }).observe(Math.max(0, clock.now() - marker.markedTime));
      return;
    }
    for (const output of outputs) output.sendControlToOne(marker, this.cursor);
    this.cursor += 1;
  }

  stop(): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
  }
}
