// Fuzz target 1: the codec alone. Every fuzzed message is decoded; decode must never throw, and
// every rejection must carry a known reason and a bounded, non-empty detail that logs as JSON.

import { decode, type RejectReason } from "../../src/messages/codec.ts";
import { Rejections } from "../../src/messages/rejections.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { fuzzBatches, type FuzzCase } from "./mutators.ts";
import { byLabel, type FuzzReport } from "./report.ts";

const REASONS: readonly RejectReason[] = ["oversized", "malformed", "unknown-type", "wrong-version", "invalid", "unexpected-type"];

/** A broken promise of the codec, with the bytes that broke it (for a regression test). */
export interface CodecFailure {
  problem: string;
  bytes: string;
}

/** Checks one case; returns what is wrong, or undefined. */
export function checkDecode(c: FuzzCase, rejections: Rejections): string | undefined {
  let outcome: ReturnType<typeof decode>;
  try {
    outcome = decode(c.bytes);
  } catch (error) {
    return `decode threw ${String(error)}`;
  }
  if (outcome.ok) return undefined;
  if (!REASONS.includes(outcome.reason)) return `unknown reason ${String(outcome.reason)}`;
  if (typeof outcome.detail !== "string" || outcome.detail.length === 0 || outcome.detail.length > 1000) return `bad detail (${typeof outcome.detail}, ${String(outcome.detail).length} chars)`;
  JSON.stringify(outcome.detail);
  rejections.reject(outcome, { subject: `fuzz.${c.origin}`, bytes: c.bytes.length });
  return undefined;
}

export function fuzzCodec(seed: number, count: number): { report: FuzzReport; failures: CodecFailure[] } {
  const started = performance.now();
  const metrics = new MetricRegistry();
  const rejections = new Rejections(metrics, silentLogger(), "codec");
  const failures: CodecFailure[] = [];
  let messages = 0;
  let valid = 0;
  for (const batch of fuzzBatches(seed, count)) {
    for (const c of batch) {
      messages += 1;
      const problem = checkDecode(c, rejections);
      if (problem) {
        if (failures.length < 20) failures.push({ problem, bytes: Buffer.from(c.bytes.subarray(0, 4096)).toString("hex") });
      } else if (decode(c.bytes).ok) valid += 1;
    }
  }
  const report: FuzzReport = {
    target: "codec",
    seed,
    messages,
    skippedValid: valid,
    rejectedByReason: byLabel(metrics.snapshot(), "weir_rejected_messages_total", "reason"),
    handlerExceptions: 0,
    crashes: failures.length,
    outputExact: true,
    jobs: 0,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  return { report, failures };
}
