// The file sink in embedded jobs, on the real file system: exactly once across a failure mid-input
// (every running count in the committed part files once: lost = 0, duplicated = 0, and the files
// visible at the moment of the failure are still there, unchanged, at the end: so none of them held
// a record the restore took back, which the replay would have written twice); a failure at a
// barrier whose checkpoint never completes (its parts stay hidden and are removed); across savepoints
// that rescale 2 → 3 → 1; without checkpoints, parts committed as they roll by size and by
// inactivity while the job runs; the format function, prefix and suffix; clear errors for bad
// options and a path that is a file.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JobExecutionError, StreamExecutionEnvironment, fileSink } from "../../src/index.ts";
import type { CollectedStream } from "../../src/api/data-stream.ts";
import type { RestoreSettings } from "../../src/messages/schema.ts";
import { heldSource } from "../checkpoint/held-source.ts";
import { FailOnceAfterCheckpoints, type FailOnceSwitch } from "../fixtures/fail-once.ts";
import { range, RunningCount, tally, totalsPerKey, type KeyCount } from "../fixtures/running-counts.ts";

const KEYS = 7;
const EVENTS = 6_000;

/** The committed (visible) part files of `dir`, by name, with their contents. */
function committed(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .filter((name) => !name.startsWith("."))
      .sort()
      .map((name) => [name, readFileSync(join(dir, name), "utf8")]),
  );
}

function records(files: Map<string, string>): KeyCount[] {
  return [...files.values()].flatMap((text) => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as KeyCount));
}

const hiddenFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.startsWith("."));
const anyCommitted = (dir: string): boolean => existsSync(dir) && readdirSync(dir).some((name) => !name.startsWith("."));

/** Fails once like {@link FailOnceAfterCheckpoints}, and at that moment reads the committed files. */
class FailOnceAndLook extends FailOnceAfterCheckpoints {
  private readonly look: () => void;
  constructor(shared: FailOnceSwitch, look: () => void) {
    super(shared);
    this.look = look;
  }
  override map(value: number): number {
    try {
      return super.map(value);
    } catch (error) {
      this.look();
      throw error;
    }
  }
}

/** Fails its subtask once, at the barrier of the first checkpoint after two have completed: that checkpoint never completes. */
class FailAtBarrier {
  private readonly sharedRef: () => FailOnceSwitch;
  constructor(shared: FailOnceSwitch) {
    this.sharedRef = () => shared;
  }
  map(value: KeyCount): KeyCount {
    return value;
  }
  initializeState(): void {}
  snapshotState(): void {
    const shared = this.sharedRef();
    if (shared.completed >= 2 && shared.failed === 0) {
      shared.failed += 1;
      throw new Error("injected failure at a barrier");
    }
  }
  notifyCheckpointComplete(): void {
    const shared = this.sharedRef();
    if (shared.failed === 0) shared.completed += 1;
  }
}

describe("the file sink", () => {
  const root = mkdtempSync(join(tmpdir(), "weir-file-sink-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("commits every running count exactly once across a failure mid-input, and never shows a record the failure takes back", async () => {
    const dir = join(root, "exactly-once");
    const shared = { failed: 0, completed: 0 };
    let atFailure = new Map<string, string>();
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(30);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    env
      // The second half waits until checkpoints have completed and committed part files: the failure comes mid-input.
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 2 && anyCommitted(dir), end: () => shared.failed > 0 }), "Numbers")
      .map(new FailOnceAndLook(shared, () => (atFailure = committed(dir))))
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .sinkTo(fileSink<KeyCount>({ path: dir, format: "ndjson", rolling: { maxBytes: 4_096 } }));
    await env.execute("file-sink-exactly-once");

    expect(shared.failed).toBe(1);
    const files = committed(dir);
    const written = records(files);
    expect({ ...tally(written, totalsPerKey(range(EVENTS), KEYS)), records: written.length }).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
    // What was visible at the failure is still there, byte for byte: committed files are never taken back.
    expect(atFailure.size).toBeGreaterThan(0);
    for (const [name, text] of atFailure) expect(files.get(name)).toBe(text);
    // The in-progress files the failure left were removed; every part was committed; both subtasks rolled by size.
    expect(hiddenFiles(dir)).toEqual([]);
    expect([...files.keys()].every((name) => /^part-[01]-\d+$/.test(name))).toBe(true);
    expect(new Set([...files.keys()].map((name) => name.split("-")[1]))).toEqual(new Set(["0", "1"]));
    expect(files.size).toBeGreaterThan(EVENTS / 200);
    for (const name of files.keys()) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(4_096);
  });

  it("part files closed at a checkpoint that never completes stay hidden: a failure at that checkpoint removes them, and their records are written once", async () => {
    const dir = join(root, "declined");
    const shared = { failed: 0, completed: 0 };
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(30);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const counts = env
      .fromSource(heldSource({ count: EVENTS, holdFrom: EVENTS / 2, release: () => shared.completed >= 2, end: () => shared.failed > 0 }), "Numbers")
      .keyBy((v) => v % KEYS)
      .process(new RunningCount());
    counts.sinkTo(fileSink<KeyCount>({ path: dir, format: "ndjson" }));
    // Downstream of the sink's chain: it takes each barrier after both file sink subtasks have closed their parts at it.
    counts.keyBy((c) => c.key).map(new FailAtBarrier(shared)).addSink(() => undefined);
    await env.execute("file-sink-declined-checkpoint");
    expect(shared.failed).toBe(1);
    const written = records(committed(dir));
    expect({ ...tally(written, totalsPerKey(range(EVENTS), KEYS)), records: written.length }).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it("across savepoints that rescale 2 → 3 → 1, every running count is committed once and no part name is used twice", async () => {
    const dir = join(root, "rescale");
    const savepoints = join(root, "savepoints");
    function countingJob(parallelism: number, upTo: number, restoreFrom?: RestoreSettings): { env: StreamExecutionEnvironment; out: CollectedStream<KeyCount> } {
      const env = new StreamExecutionEnvironment({ parallelism, restoreFrom });
      env.enableCheckpointing(50);
      const counts = env
        .fromSource(heldSource({ count: EVENTS, holdFrom: upTo, release: () => false, end: () => upTo >= EVENTS }), "Numbers")
        .uid("numbers")
        .keyBy((v) => v % KEYS)
        .process(new RunningCount())
        .uid("counter");
      counts.sinkTo(fileSink<KeyCount>({ path: dir, format: "ndjson", rolling: { maxBytes: 8_192 } })).uid("file-sink");
      return { env, out: counts.collect() };
    }
    const untilCollected = async (out: CollectedStream<KeyCount>, n: number): Promise<void> => {
      while (out.values.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    const run1 = countingJob(2, 2_000);
    const client1 = await run1.env.executeAsync("file-sink-rescale-2");
    await untilCollected(run1.out, 2_000);
    const first = await client1.stopWithSavepoint(savepoints);
    await client1.result;
    const run2 = countingJob(3, 4_000, { location: first, allowNonRestoredState: false });
    const client2 = await run2.env.executeAsync("file-sink-rescale-3");
    await untilCollected(run2.out, 2_000);
    const second = await client2.stopWithSavepoint(savepoints);
    await client2.result;
    await countingJob(1, EVENTS, { location: second, allowNonRestoredState: false }).env.execute("file-sink-rescale-1");

    const files = committed(dir);
    const written = records(files);
    expect({ ...tally(written, totalsPerKey(range(EVENTS), KEYS)), records: written.length }).toEqual({ lost: 0, duplicated: 0, records: EVENTS });
    expect(hiddenFiles(dir)).toEqual([]);
    // Parts of all three parallelisms: subtask 2 wrote only in the second job.
    expect(new Set([...files.keys()].map((name) => name.split("-")[1]))).toEqual(new Set(["0", "1", "2"]));
  });

  it("without checkpoints, commits a part when it rolls by size and at the end of input, in the format, prefix and suffix given", async () => {
    const dir = join(root, "plain");
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(0, 999)
      .keyBy((v) => v % KEYS)
      .process(new RunningCount())
      .sinkTo(fileSink<KeyCount>({ path: dir, format: (c) => `${c.key},${c.count},${c.value}`, rolling: { maxBytes: 1_000 }, prefix: "counts", suffix: ".csv" }));
    await env.execute("file-sink-plain");
    const files = committed(dir);
    expect([...files.keys()].every((name) => /^counts-[01]-\d+\.csv$/.test(name))).toBe(true);
    // About 5 KB per subtask, in parts of at most 1,000 bytes.
    expect(files.size).toBeGreaterThanOrEqual(10);
    for (const name of files.keys()) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(1_000);
    const written = [...files.values()].flatMap((text) => text.split("\n").filter((line) => line !== "")).map((line) => {
      const [key, count, value] = line.split(",").map(Number);
      return { key, count, value };
    });
    expect({ ...tally(written, totalsPerKey(range(1_000), KEYS)), records: written.length }).toEqual({ lost: 0, duplicated: 0, records: 1_000 });
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it("without checkpoints, a part that sees no write for inactivityMs is committed while the job runs", async () => {
    const dir = join(root, "inactive");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    // The second half waits until the first half is visible: only the inactivity roll can commit it.
    env
      .fromSource(heldSource({ count: 200, holdFrom: 100, release: () => anyCommitted(dir), end: () => true }), "Numbers")
      .sinkTo(fileSink<number>({ path: dir, format: "text", rolling: { inactivityMs: 50 } }));
    await env.execute("file-sink-inactivity");
    const files = committed(dir);
    expect(files.get("part-0-0")?.split("\n").filter(Boolean).map(Number).sort((a, b) => a - b)).toEqual(range(100));
    expect(records(files).map(Number).sort((a, b) => a - b)).toEqual(range(200));
  });

  it("refuses bad options when the job is built, and fails the job when the path is a file", async () => {
    expect(() => fileSink({ path: "out/counts", format: "csv" as "text", prefix: ".x", suffix: "a/b", rolling: { maxBytes: -1 } })).toThrow(
      'fileSink: path must be absolute (got "out/counts"): resolve it with env.resolvePath("out/counts"), so every worker writes where the client meant; format must be "text", "ndjson" or a function from a record to its line (got "csv"); prefix must be a non-empty file name start without "/" and not starting with "." (got ".x"); suffix must be a file name end without "/" (got "a/b"); rolling.maxBytes must be a number above 0 (got -1)',
    );
    expect(() => fileSink({ path: "", format: "text" })).toThrow("fileSink: path must name a directory");
    const file = join(root, "a-file");
    writeFileSync(file, "taken\n");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.enableCheckpointing(50);
    env.fromSequence(0, 9).sinkTo(fileSink<number>({ path: file, format: "text" }));
    const error = await env.execute("file-sink-on-a-file").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain(`fileSink ${file}: it is a file, not a directory; give the sink a directory of its own`);
    expect(readFileSync(file, "utf8")).toBe("taken\n");
  });
});
