// The async result queue as traces: records added (`+a`), watermarks (`w5`) and completions
// (`!a`) in, what leaves out (`a`, `w5`), for the ordered and the unordered queue.

import { describe, expect, it } from "vitest";
import { createAsyncResultQueue, type AsyncOutputMode, type AsyncQueueEntry } from "../../src/operators/async-result-queue.ts";

/** Runs a trace; returns what left, in order, and the records still held. */
function run(mode: AsyncOutputMode, trace: string[]): { out: string[]; held: string[]; size: number } {
  const out: string[] = [];
  const queue = createAsyncResultQueue(mode, {
    emitResults: (entry) => out.push(...(entry.results as string[])),
    emitWatermark: (timestamp) => out.push(`w${timestamp}`),
  });
  const entries = new Map<string, AsyncQueueEntry>();
  for (const step of trace) {
    const name = step.slice(1);
    if (step.startsWith("+")) {
      const entry: AsyncQueueEntry = { record: name, timestamp: undefined, results: undefined };
      entries.set(name, entry);
      queue.add(entry);
    } else if (step.startsWith("w")) queue.addWatermark(Number(name));
    else if (step.startsWith("!")) queue.complete(entries.get(name)!, [name]);
    else throw new Error(`bad step ${step}`);
  }
  return { out, held: queue.entries().map((e) => e.record as string), size: queue.size };
}

describe("ordered async result queue", () => {
  it("emits results in input order, whatever the order of completion", () => {
    expect(run("ordered", ["+a", "+b", "+c", "!c", "!b"]).out).toEqual([]);
    expect(run("ordered", ["+a", "+b", "+c", "!c", "!b", "!a"]).out).toEqual(["a", "b", "c"]);
    expect(run("ordered", ["+a", "+b", "+c", "!b", "!a"]).out).toEqual(["a", "b"]);
  });

  it("a watermark leaves after the records before it and before those after it", () => {
    expect(run("ordered", ["+a", "w5", "+b", "!b"]).out).toEqual([]);
    expect(run("ordered", ["+a", "w5", "+b", "!b", "!a"]).out).toEqual(["a", "w5", "b"]);
    expect(run("ordered", ["+a", "w5", "+b", "!a"]).out).toEqual(["a", "w5"]);
  });

  it("a watermark with nothing held leaves at once; two in a row keep only the later", () => {
    expect(run("ordered", ["w1", "+a", "w2", "w3", "!a"]).out).toEqual(["w1", "a", "w3"]);
  });

  it("holds completed records behind a pending one, and reports them in input order", () => {
    const { held, size } = run("ordered", ["+a", "+b", "+c", "!c", "!a"]);
    expect(held).toEqual(["b", "c"]);
    expect(size).toBe(2);
  });
});

describe("unordered async result queue", () => {
  it("emits results as they complete", () => {
    expect(run("unordered", ["+a", "+b", "+c", "!c", "!a", "!b"]).out).toEqual(["c", "a", "b"]);
  });

  it("no record overtakes a watermark, and a watermark waits for every record before it", () => {
    const trace = ["+a", "+b", "w5", "+c", "+d", "!d", "!b"];
    expect(run("unordered", trace).out).toEqual(["b"]);
    expect(run("unordered", [...trace, "!a"]).out).toEqual(["b", "a", "w5", "d"]);
    expect(run("unordered", [...trace, "!a", "!c"]).out).toEqual(["b", "a", "w5", "d", "c"]);
  });

  it("watermarks close segments in turn; an empty segment's watermark replaces the one before", () => {
    expect(run("unordered", ["+a", "w1", "+b", "w2", "+c", "!c", "!b", "!a"]).out).toEqual(["a", "w1", "b", "w2", "c"]);
    expect(run("unordered", ["+a", "w1", "w2", "+b", "!b", "!a"]).out).toEqual(["a", "w2", "b"]);
    expect(run("unordered", ["w1", "+a", "!a", "w2"]).out).toEqual(["w1", "a", "w2"]);
  });

  it("holds what is in flight and what completed behind a watermark", () => {
    const { held, size } = run("unordered", ["+a", "w5", "+b", "+c", "!b"]);
    expect(held.sort()).toEqual(["a", "b", "c"]);
    expect(size).toBe(3);
  });
});
