// The Prometheus exposition of a process: its MetricRegistry (counters, latency histograms as
// summaries), gauges the process computes at scrape time (e.g. its subtasks' figures) and Node's
// own process metrics (prom-client's defaults).

import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { MetricRegistry } from "./metrics.ts";

export interface GaugeSample {
  name: string;
  help: string;
  labels: Record<string, string>;
  value: number;
}

const HELP: Record<string, string> = {
  weir_rejected_messages_total: "Messages rejected on receipt (malformed, forged, wrong version or type), by endpoint and reason",
  weir_handler_exceptions_total: "Exceptions thrown by message handlers, contained by the bus",
  weir_nats_slow_consumer_total: "NATS slow-consumer notices: messages were dropped by the server",
  weir_checkpoint_alignment_timeouts_total: "Aligned checkpoints switched to unaligned after the alignment timeout",
  weir_checkpoint_incremental_snapshots_total: "Incremental keyed-state snapshots taken",
  weir_checkpoint_inflight_elements_total: "In-flight elements stored by unaligned checkpoints",
  weir_window_late_records_dropped_total: "Records dropped by windows because they arrived after their window's end plus allowed lateness",
  weir_async_retries_total: "Async I/O requests started again after a failure or a timeout",
  weir_async_timeouts_total: "Async I/O requests whose last attempt timed out (handled by onTimeout, or failing the job)",
  weir_latency_ms: "Latency markers' travel time from source to sink (ms)",
};

export class PrometheusExporter {
  private readonly processMetrics = new Registry();

  constructor(private readonly metrics: MetricRegistry, private readonly gauges: () => GaugeSample[] = () => []) {
    collectDefaultMetrics({ register: this.processMetrics });
  }

  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  /** The current exposition text. */
  async text(): Promise<string> {
    const registry = new Registry();
    const counters = groupByName(this.metrics.snapshot());
    for (const [name, samples] of counters) {
      const counter = new Counter({ name, help: HELP[name] ?? name, labelNames: labelNames(samples), registers: [registry] });
      for (const s of samples) counter.inc(s.labels, s.value);
    }
    const summaries = groupByName(this.metrics.histogramsSnapshot());
    for (const [name, samples] of summaries) {
      const names = labelNames(samples);
      const quantiles = new Gauge({ name, help: HELP[name] ?? name, labelNames: [...names, "quantile"], registers: [registry] });
      const count = new Counter({ name: `${name}_count`, help: `${HELP[name] ?? name}: observations`, labelNames: names, registers: [registry] });
      const sum = new Counter({ name: `${name}_sum`, help: `${HELP[name] ?? name}: sum of observations`, labelNames: names, registers: [registry] });
      for (const s of samples) {
        for (const q of [0.5, 0.99, 1]) quantiles.set({ ...s.labels, quantile: String(q) }, s.histogram.quantile(q));
        count.inc(s.labels, s.histogram.count);
        sum.inc(s.labels, s.histogram.sum);
      }
    }
    for (const [name, samples] of groupByName(this.gauges())) {
      const gauge = new Gauge({ name, help: samples[0].help, labelNames: labelNames(samples), registers: [registry] });
      for (const s of samples) gauge.set(s.labels, s.value);
    }
    return (await this.processMetrics.metrics()) + (await registry.metrics());
  }
}

function groupByName<T extends { name: string }>(samples: T[]): Map<string, T[]> {
  const byName = new Map<string, T[]>();
  for (const sample of samples) {
    const list = byName.get(sample.name) ?? [];
    list.push(sample);
    byName.set(sample.name, list);
  }
  return byName;
}

function labelNames(samples: { labels: Record<string, string> }[]): string[] {
  return [...new Set(samples.flatMap((s) => Object.keys(s.labels)))].sort();
}
