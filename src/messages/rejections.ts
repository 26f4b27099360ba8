// Counts and logs rejected bus messages. Each (endpoint, reason) is logged once per metric
// registry (per process), with context;
// every rejection is counted in the metric `weir_rejected_messages_total`.

import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { RejectReason } from "./codec.ts";

export class Rejections {
  constructor(private readonly metrics: MetricRegistry, private readonly log: Logger, private readonly endpoint: string) {}

  reject(outcome: { reason: RejectReason; detail: string }, context: { subject: string; bytes: number }): void {
    this.metrics.counter("weir_rejected_messages_total", { endpoint: this.endpoint, reason: outcome.reason }).inc();
    if (!this.metrics.firstTime(`rejection ${this.endpoint} ${outcome.reason}`)) return;
    this.log.warn(
      { endpoint: this.endpoint, reason: outcome.reason, subject: context.subject, bytes: context.bytes, detail: outcome.detail },
      "rejected a bus message (further rejections of this kind are only counted)",
    );
  }
}
