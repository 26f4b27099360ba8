// Rejected bus messages are all counted, by endpoint and reason, but logged once per reason, so a
// flood of garbage cannot flood the log.

import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { decode, encode } from "../../src/messages/codec.ts";
import { Rejections } from "../../src/messages/rejections.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";

const METRIC = "weir_rejected_messages_total";

/** A pino logger writing JSON lines into an array. */
function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

function rejectionOf(bytes: Uint8Array) {
  const outcome = decode(bytes, ["frame"]);
  if (outcome.ok) throw new Error("expected a rejection");
  return outcome;
}

const garbage = Uint8Array.from([0xc1, 0xc1, 0xc1]);
const truncated = encode({ type: "credit", consumer: 0, credits: 1, token: "t" }).subarray(0, 3);
const aCredit = encode({ type: "credit", consumer: 0, credits: 1, token: "t" });

describe("Rejections", () => {
  it("counts every rejection under the endpoint and reason", () => {
    const metrics = new MetricRegistry();
    const { log } = collectingLogger();
    const rejections = new Rejections(metrics, log, "subtask v1#0");
    for (let i = 0; i < 3; i++) rejections.reject(rejectionOf(truncated), { subject: "weir.data.x", bytes: truncated.length });
    for (let i = 0; i < 2; i++) rejections.reject(rejectionOf(aCredit), { subject: "weir.data.x", bytes: aCredit.length });

    expect(metrics.counter(METRIC, { endpoint: "subtask v1#0", reason: "malformed" }).value).toBe(3);
    expect(metrics.counter(METRIC, { endpoint: "subtask v1#0", reason: "unexpected-type" }).value).toBe(2);
    expect(metrics.sum(METRIC)).toBe(5);
    expect(metrics.sum(METRIC, { reason: "oversized" })).toBe(0);
  });

  it("logs only the first rejection of each reason, with its subject, size and detail", () => {
    const metrics = new MetricRegistry();
    const { log, lines } = collectingLogger();
    const rejections = new Rejections(metrics, log, "resource-manager");
    rejections.reject(rejectionOf(truncated), { subject: "first.subject", bytes: truncated.length });
    rejections.reject(rejectionOf(garbage), { subject: "second.subject", bytes: garbage.length });
    rejections.reject({ reason: "invalid", detail: "$.credits: expected an integer" }, { subject: "third.subject", bytes: 9 });
    rejections.reject({ reason: "invalid", detail: "$.consumer: expected an integer" }, { subject: "fourth.subject", bytes: 9 });
    rejections.reject(rejectionOf(truncated), { subject: "fifth.subject", bytes: truncated.length });

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, endpoint: "resource-manager", reason: "malformed", subject: "first.subject", bytes: 3 });
    expect(String(lines[0].detail)).toMatch(/^not msgpack/);
    expect(lines[1]).toMatchObject({ level: 40, reason: "invalid", subject: "third.subject", bytes: 9, detail: "$.credits: expected an integer" });
    expect(metrics.sum(METRIC, { endpoint: "resource-manager" })).toBe(5);
  });

  it("keeps the counts of two endpoints apart, and each endpoint logs its own first rejection", () => {
    const metrics = new MetricRegistry();
    const { log, lines } = collectingLogger();
    const a = new Rejections(metrics, log, "a");
    const b = new Rejections(metrics, log, "b");
    a.reject({ reason: "oversized", detail: "too big" }, { subject: "s", bytes: 2_000_000 });
    a.reject({ reason: "oversized", detail: "too big" }, { subject: "s", bytes: 2_000_000 });
    b.reject({ reason: "oversized", detail: "too big" }, { subject: "s", bytes: 2_000_000 });

    expect(metrics.sum(METRIC, { endpoint: "a", reason: "oversized" })).toBe(2);
    expect(metrics.sum(METRIC, { endpoint: "b", reason: "oversized" })).toBe(1);
    expect(lines.map((l) => l.endpoint)).toEqual(["a", "b"]);
  });

  it("logs nothing at a level above warn, but still counts", () => {
    const metrics = new MetricRegistry();
    const lines: string[] = [];
    const rejections = new Rejections(metrics, pino({ level: "error" }, { write: (l: string) => void lines.push(l) }), "quiet");
    rejections.reject({ reason: "wrong-version", detail: "version 2" }, { subject: "s", bytes: 10 });
    expect(lines).toEqual([]);
    expect(metrics.sum(METRIC, { endpoint: "quiet", reason: "wrong-version" })).toBe(1);
  });
});

describe("MetricRegistry", () => {
  it("returns the same counter for the same labels in any order", () => {
    const metrics = new MetricRegistry();
    metrics.counter("c", { a: "1", b: "2" }).inc();
    metrics.counter("c", { b: "2", a: "1" }).inc(4);
    expect(metrics.counter("c", { a: "1", b: "2" }).value).toBe(5);
    expect(metrics.snapshot()).toEqual([{ name: "c", labels: { a: "1", b: "2" }, value: 5 }]);
  });

  it("sums a counter over label sets, filtered by some labels, and never mixes names", () => {
    const metrics = new MetricRegistry();
    metrics.counter("c", { endpoint: "x", reason: "r1" }).inc(2);
    metrics.counter("c", { endpoint: "x", reason: "r2" }).inc(3);
    metrics.counter("c", { endpoint: "y", reason: "r1" }).inc(7);
    metrics.counter("other", { endpoint: "x", reason: "r1" }).inc(100);
    expect(metrics.sum("c")).toBe(12);
    expect(metrics.sum("c", { endpoint: "x" })).toBe(5);
    expect(metrics.sum("c", { reason: "r1" })).toBe(9);
    expect(metrics.sum("missing")).toBe(0);
  });
});
