// Savepoints that rescale (Flink's style): a keyed counting job stopped with a savepoint at
// parallelism 2, resumed at 3, stopped again, resumed at 1 to the end. Keyed state moves by key
// group and the source's splits are re-split, so across the three runs every key's running count
// is seen exactly once per value, ending at the exact total computed here from the input alone.
// Restoring state that belongs to no operator fails with a clear error unless allowed.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/index.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount as Count } from "../fixtures/running-counts.ts";
import type { CollectedStream } from "../../src/api/data-stream.ts";
import type { RestoreSettings } from "../../src/messages/schema.ts";
import { heldSource } from "./held-source.ts";

const KEYS = 11;
const EVENTS = 9_000;
const dir = mkdtempSync(join(tmpdir(), "weir-savepoints-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The counting job at `parallelism`, optionally resumed; `counterUid` names the stateful operator.
 * Its source emits the numbers below `upTo` (it resumes where the savepoint left off) and then,
 * unless `upTo` is the end, stays open: each run does a known share of the work, whatever the timing.
 */
function countingJob(parallelism: number, upTo: number, restoreFrom?: RestoreSettings, counterUid = "counter"): { env: StreamExecutionEnvironment; out: CollectedStream<Count> } {
  const env = new StreamExecutionEnvironment({ parallelism, restoreFrom });
  const counts = env
    .fromSource(heldSource({ count: EVENTS, holdFrom: upTo, release: () => false, end: () => upTo >= EVENTS }), "Numbers")
    .uid("numbers")
    .keyBy((v) => v % KEYS)
    .process(new RunningCount())
    .uid(counterUid);
  // The counts also go to part files, which the restores roll back and share out at each parallelism.
  counts.writeAsNdjson(files).uid("files");
  const out = counts.collect();
  return { env, out };
}

const files = join(dir, "counts");

/** Every line of every part file the sink wrote. */
function writtenCounts(): Count[] {
  return readdirSync(files).flatMap((name) => readFileSync(join(files, name), "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Count));
}

/** Waits until the job has emitted at least `n` results (the savepoint then holds real state). */
async function untilCollected(out: CollectedStream<Count>, n: number): Promise<void> {
  while (out.values.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("savepoints and rescaling, embedded", () => {
  let firstSavepoint = "";

  it("a savepoint at parallelism 2, resumed at 3, then at 1: every key's count is seen exactly once up to its exact total", async () => {
    const run1 = countingJob(2, 3_000);
    const client1 = await run1.env.executeAsync("rescale-2");
    await untilCollected(run1.out, 3_000);
    firstSavepoint = await client1.stopWithSavepoint(dir);
    await client1.result;

    const run2 = countingJob(3, 6_000, { location: firstSavepoint, allowNonRestoredState: false });
    const client2 = await run2.env.executeAsync("rescale-3");
    await untilCollected(run2.out, 3_000);
    const secondSavepoint = await client2.stopWithSavepoint(dir);
    await client2.result;

    const run3 = countingJob(1, EVENTS, { location: secondSavepoint, allowNonRestoredState: false });
    await run3.env.execute("rescale-1");

    const all = [...run1.out.values, ...run2.out.values, ...run3.out.values];
    const totals = totalsPerKey(range(EVENTS), KEYS);
    expect({ ...tally(all, totals), results: all.length }).toEqual({ lost: 0, duplicated: 0, results: EVENTS });
    // Each run did its share: the savepoints held real state and the sources' positions.
    expect([run1.out.values.length, run2.out.values.length, run3.out.values.length]).toEqual([3_000, 3_000, 3_000]);
    const finalCounts = new Map<number, number>();
    for (const { key, count } of run3.out.values) finalCounts.set(key, Math.max(finalCounts.get(key) ?? 0, count));
    expect(finalCounts).toEqual(totals);
    // The file sink ran at 2, 3 and 1 subtasks into one directory: every count is in its files once.
    expect(readdirSync(files).sort()).toEqual(["part-0", "part-1", "part-2"]);
    const written = writtenCounts();
    expect({ ...tally(written, totals), lines: written.length }).toEqual({ lost: 0, duplicated: 0, lines: EVENTS });
  });

  it("restoring state that has no operator in the new job fails with a clear error, and runs when non-restored state is allowed", async () => {
    expect(firstSavepoint).not.toBe("");
    const renamed = countingJob(2, EVENTS, { location: firstSavepoint, allowNonRestoredState: false }, "renamed-counter");
    await expect(renamed.env.execute("orphaned")).rejects.toThrow(/state for operator\(s\) "counter" that the job no longer has/);

    const allowed = countingJob(2, EVENTS, { location: firstSavepoint, allowNonRestoredState: true }, "renamed-counter");
    await allowed.env.execute("allowed");
    // The counter starts from zero (its state was dropped); the source still resumes from the savepoint.
    const firstCounts = allowed.out.values.filter((r) => r.count === 1);
    expect(firstCounts).toHaveLength(KEYS);
    expect(allowed.out.values.length).toBe(EVENTS - 3_000);
  });
});
