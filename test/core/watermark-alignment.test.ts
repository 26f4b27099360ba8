// The alignment decisions by traces: the group's bound from its readers' reports, and which
// reader and splits pause under a bound.

import { describe, expect, it } from "vitest";
import { AlignmentGroup, planAlignment } from "../../src/core/watermark-alignment.ts";

describe("an alignment group", () => {
  it("bounds its readers by the lowest active watermark plus the drift, waiting for readers that have not reported", () => {
    const group = new AlignmentGroup("g", 100, ["v0/0", "v1/0"]);
    expect(group.bound).toBe(-Infinity);
    expect(group.report({ reader: "v0/0", attempt: 0, watermark: 500, status: "active" })).toEqual({ kind: "accepted" });
    expect(group.report({ reader: "v1/0", attempt: 0, watermark: 50, status: "active" })).toEqual({ kind: "accepted", bound: 150 });
    expect(group.report({ reader: "v1/0", attempt: 0, watermark: 300, status: "active" })).toEqual({ kind: "accepted", bound: 400 });
    // An idle reader does not hold the group back; with none active, nothing is bounded.
    expect(group.report({ reader: "v1/0", attempt: 0, watermark: 300, status: "idle" })).toEqual({ kind: "accepted", bound: 600 });
    expect(group.report({ reader: "v0/0", attempt: 0, watermark: 700, status: "finished" })).toEqual({ kind: "accepted", bound: Infinity });
    // A finished reader stays finished within its attempt; a new attempt counts again.
    expect(group.report({ reader: "v0/0", attempt: 0, watermark: 10, status: "active" })).toEqual({ kind: "stale" });
    expect(group.report({ reader: "v0/0", attempt: 1, watermark: 10, status: "active" })).toEqual({ kind: "accepted", bound: 110 });
    expect(group.report({ reader: "v0/0", attempt: 0, watermark: 900, status: "active" })).toEqual({ kind: "stale" });
    expect(group.report({ reader: "v9/0", attempt: 0, watermark: 1, status: "active" })).toEqual({ kind: "unknown-reader" });
  });
});

describe("a reader under a bound", () => {
  const base = { splits: [], pausedSplits: new Set<string>(), canPauseSplits: false };
  it("pauses as a whole while its watermark is above the bound", () => {
    expect(planAlignment({ ...base, maxAllowedWatermark: 100, readerWatermark: 100 }).pauseReader).toBe(false);
    expect(planAlignment({ ...base, maxAllowedWatermark: 100, readerWatermark: 101 }).pauseReader).toBe(true);
    expect(planAlignment({ ...base, maxAllowedWatermark: -Infinity, readerWatermark: -Infinity }).pauseReader).toBe(false);
  });

  it("pauses and resumes splits one by one when it can, forgetting a finished paused split", () => {
    const splits = [
      { id: "a", watermark: 50 },
      { id: "b", watermark: 250 },
    ];
    const first = planAlignment({ maxAllowedWatermark: 100, readerWatermark: 50, splits, pausedSplits: new Set(), canPauseSplits: true });
    expect(first).toEqual({ pauseReader: false, pause: ["b"], resume: [] });
    const later = planAlignment({ maxAllowedWatermark: 300, readerWatermark: 50, splits, pausedSplits: new Set(["b", "gone"]), canPauseSplits: true });
    expect(later).toEqual({ pauseReader: false, pause: [], resume: ["b", "gone"] });
    // A reader that cannot pause splits leaves them alone.
    expect(planAlignment({ maxAllowedWatermark: 100, readerWatermark: 50, splits, pausedSplits: new Set(), canPauseSplits: false }).pause).toEqual([]);
  });
});
