// A watched directory read through the file source's split enumerator, embedded: many small files
// of numbered lines, a failure in the file pipeline's region (its readers give the splits handed
// out since the last completed checkpoint back to the enumerator, which hands them out again), a
// file added while the job runs, a stop with a savepoint, then a resume at another parallelism with
// two more files. Counted, not timed: every line of every file is seen once over both runs
// (lost = 0, duplicated = 0), and the resumed run reads only the files added since.

import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RichMapFunction, StreamExecutionEnvironment, fileSource } from "../../src/index.ts";
import type { RestoreSettings } from "../../src/messages/schema.ts";
import { waitFor } from "../fixtures/wait-for.ts";

const LINES_PER_FILE = 150;
const dir = mkdtempSync(join(tmpdir(), "weir-file-watch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Shared {
  opens: number;
  failed: number;
  completed: number;
  fail: boolean;
}

/** Counts its opens, spends 100 µs a record (checkpoints complete while files are read) and, when told, throws once after two checkpoints. */
class SlowFailingOnce extends RichMapFunction<number, number> {
  // Shared on purpose by every subtask's copy: reached through a function field, which copies keep.
  private readonly sharedRef: () => Shared;
  constructor(shared: Shared) {
    super();
    this.sharedRef = () => shared;
  }
  override open(): void {
    this.sharedRef().opens += 1;
  }
  map(value: number): number {
    const shared = this.sharedRef();
    if (shared.fail && shared.failed === 0 && shared.completed >= 2) {
      shared.failed += 1;
      throw new Error("injected failure in the file pipeline");
    }
    const until = process.hrtime.bigint() + 100_000n;
    while (process.hrtime.bigint() < until);
    return value;
  }
  notifyCheckpointComplete(): void {
    this.sharedRef().completed += 1;
  }
}

/** Writes file number `index` (its lines the numbers index*LINES_PER_FILE …) whole: written aside, renamed in. */
function addFile(path: string, index: number): void {
  const lines = Array.from({ length: LINES_PER_FILE }, (_, i) => index * LINES_PER_FILE + i).join("\n");
  const aside = join(dir, `${index}.partial`);
  writeFileSync(aside, `${lines}\n`);
  renameSync(aside, join(path, `f${String(index).padStart(3, "0")}.txt`));
}

/** lost: expected numbers never seen; duplicated: numbers seen more than once (counted once each extra time). */
function countLines(seen: readonly number[], expected: readonly number[]): { lost: number; duplicated: number } {
  const times = new Map<number, number>();
  for (const n of seen) times.set(n, (times.get(n) ?? 0) + 1);
  const lost = expected.filter((n) => !times.has(n)).length;
  const duplicated = [...times.values()].reduce((sum, t) => sum + t - 1, 0) + seen.filter((n) => !expected.includes(n)).length;
  return { lost, duplicated };
}

const numbersOf = (files: number[]) => files.flatMap((f) => Array.from({ length: LINES_PER_FILE }, (_, i) => f * LINES_PER_FILE + i));

/** The job: the watched directory's lines through the slow map, beside a small second pipeline (its own region). */
function watchingJob(path: string, parallelism: number, shared: Shared, restoreFrom?: RestoreSettings) {
  const env = new StreamExecutionEnvironment({ parallelism, restoreFrom });
  env.enableCheckpointing(25);
  env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
  const lines = env
    .fromSource(fileSource<number>({ path, format: (line) => Number(line), watch: true, pollIntervalMs: 20 }), "Watched")
    .uid("watched")
    .map(new SlowFailingOnce(shared))
    .uid("slow")
    .collect();
  env.fromElements(1, 2, 3).uid("elements").collect();
  return { env, lines };
}

describe("the file source watching a directory, with its split enumerator", () => {
  it("reads every file's lines exactly once across a regional failover, a stop with a savepoint and a resume at another parallelism", async () => {
    const path = join(dir, "watched");
    await mkdir(path);
    const first = [...Array(40).keys()];
    for (const f of first) addFile(path, f);

    const failing: Shared = { opens: 0, failed: 0, completed: 0, fail: true };
    const run1 = watchingJob(path, 2, failing);
    const client1 = await run1.env.executeAsync("watch-1");
    // Until the failure, a file more at every look: records flow until two checkpoints have completed, however slow the machine.
    let files = first.length;
    await waitFor(() => (failing.failed === 1 ? true : void addFile(path, files++)), "the injected failure");
    // Found by the enumerator while the job runs, after the failover.
    addFile(path, files++);
    const firstRun = numbersOf([...Array(files).keys()]);
    await waitFor(() => (run1.lines.values.length >= firstRun.length ? true : undefined), "every line of the files written so far");
    const savepoint = await client1.stopWithSavepoint(join(dir, "savepoints"));
    await client1.result;
    // Only the file pipeline's region restarted: its two map subtasks opened twice.
    expect(failing.opens).toBe(4);
    expect(countLines(run1.lines.values, firstRun)).toEqual({ lost: 0, duplicated: 0 });

    const added = [files, files + 1];
    for (const f of added) addFile(path, f);
    const steady: Shared = { opens: 0, failed: 0, completed: 0, fail: false };
    const run2 = watchingJob(path, 3, steady, { location: savepoint, allowNonRestoredState: false });
    const client2 = await run2.env.executeAsync("watch-2");
    const secondRun = numbersOf(added);
    await waitFor(() => (run2.lines.values.length >= secondRun.length ? true : undefined), "the lines of the two files added since");
    await client2.stopWithSavepoint(join(dir, "savepoints"));
    await client2.result;

    // The resumed run read the new files and nothing else; over both runs, every line once.
    expect(countLines(run2.lines.values, secondRun)).toEqual({ lost: 0, duplicated: 0 });
    const all = [...run1.lines.values, ...run2.lines.values];
    expect({ ...countLines(all, numbersOf([...Array(files + 2).keys()])), lines: all.length }).toEqual({ lost: 0, duplicated: 0, lines: (files + 2) * LINES_PER_FILE });
  });
});
