// The file source over real files in a temporary directory: a job with checkpoints and a failure
// resumes mid-file with every line exactly once (lost = 0, duplicated = 0); a reader restored from
// its own snapshot goes on at the byte after the last record it emitted; a watched directory picks
// up a file added while the job runs, and its enumerator's checkpointed state hands out only files
// it has not handed out before, at any parallelism; CSV with quoted fields; a malformed line fails the job with
// an error naming the source, the file and the offset, or becomes a dead letter when configured.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEAD_LETTERS, DEAD_LETTERS_METRIC, JobExecutionError, StreamExecutionEnvironment, fileSource, type DeadLetter, type Source, type SourceOutput } from "../../src/index.ts";
import { EmbeddedExecutor } from "../../src/cluster/mini-cluster.ts";
import { systemClock } from "../../src/core/clock.ts";
import { FileSplitEnumerator } from "../../src/connectors/file-enumerator.ts";
import type { SplitEnumeratorContext } from "../../src/operators/source.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { FailOnceAfterCheckpoints, heldUntilCheckpoints } from "../fixtures/fail-once.ts";
import { range, RunningCount, tally, totalsPerKey } from "../fixtures/running-counts.ts";
import { waitFor } from "../fixtures/wait-for.ts";

const KEYS = 7;
const EVENTS = 20_000;

/** The source, noting the splits each restored reader is given. */
function noteRestores<T>(source: Source<T>, restored: unknown[]): Source<T> {
  return {
    parallel: source.parallel,
    createEnumerator: source.createEnumerator,
    createReader: (ctx) => {
      restored.push(...(ctx.restoredSplits ?? []));
      return source.createReader(ctx);
    },
  };
}

/** Reads `count` records (all when absent) from a reader of `source` given `restoredSplits` (built by hand, it has no enumerator), then snapshots it. */
async function readSome<T>(source: Source<T>, restoredSplits: unknown[] | undefined, count = Infinity, parallelism = 1): Promise<{ values: T[]; side: unknown[]; splits: unknown[] }> {
  const reader = source.createReader({ subtaskIndex: 0, parallelism, clock: systemClock, restoredSplits });
  const values: T[] = [];
  const side: unknown[] = [];
  const output: SourceOutput<T> = { collect: (v) => values.push(v), collectSide: (_, v) => side.push(v), forSplit: () => output, releaseSplit: () => undefined };
  await reader.open?.();
  for (let status = "more"; status !== "end" && values.length < count; ) {
    status = reader.pollNext(output);
    if (status === "nothing") await reader.available?.();
  }
  const splits = reader.snapshotState?.(1) ?? [];
  await reader.close?.();
  return { values, side, splits };
}

describe("the file source", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weir-file-source-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function directoryOf(name: string, files: Record<string, string>): Promise<string> {
    const path = join(dir, name);
    await mkdir(path);
    for (const [file, text] of Object.entries(files)) await writeFile(join(path, file), text);
    return path;
  }

  it("reads every line exactly once across a failure and a restore from a checkpoint, resuming mid-file", async () => {
    // Three files of unequal length, so the checkpoints fall inside them; lines of 200 bytes, so
    // a frame holds few of them and the source stays backpressured while the files are read.
    const numbers = range(EVENTS);
    const lines = (from: number, to: number) => numbers.slice(from, to).map((n) => `${n} ${"x".repeat(200)}`).join("\n");
    const path = await directoryOf("numbers", {
      "a.txt": `${lines(0, 9000)}\n`,
      "b.txt": `${lines(9000, 15_000)}\n`,
      "c.txt": lines(15_000, EVENTS), // no final newline
    });
    const shared = { failed: 0, completed: 0 };
    const restored: unknown[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.enableCheckpointing(20);
    env.setRestartStrategy({ kind: "fixed-delay", attempts: 2, delayMs: 10 });
    const out = env
      // Each reader holds after 2,000 lines until two checkpoints have completed: the failure comes mid-file.
      .fromSource(noteRestores(heldUntilCheckpoints(fileSource({ path, format: (line) => Number(line.slice(0, line.indexOf(" "))) }), shared, 2000), restored), "Numbers")
      .rebalance()
      .map(new FailOnceAfterCheckpoints(shared))
      .keyBy((n) => n % KEYS)
      .process(new RunningCount())
      .collect();
    await env.execute("files-exactly-once");
    expect(shared.failed).toBe(1);
    expect(tally(out.values, totalsPerKey(numbers, KEYS))).toEqual({ lost: 0, duplicated: 0 });
    expect(out.values).toHaveLength(EVENTS);
    // The restore went on inside a file, not at its start or its end.
    const sizes = new Map(["a.txt", "b.txt", "c.txt"].map((f) => [join(path, f), statSync(join(path, f)).size]));
    const midFile = (restored as { path: string; offset: number }[]).filter((s) => s.offset > 0 && s.offset < sizes.get(s.path)!);
    expect(midFile.length).toBeGreaterThan(0);
  });

  it("restores a reader at the byte offset of the next unread record, keeping a CSV file's header", async () => {
    const path = await directoryOf("restore", {
      "people.csv": 'name,note\r\nada,"likes ""quotes"", commas"\r\n"bob","two\nlines"\r\ncy,\r\n',
    });
    const source = fileSource({ path, format: "csv" });
    const first = await readSome(source, [{ path: join(path, "people.csv"), offset: 0 }], 1);
    expect(first.values).toEqual([{ name: "ada", note: 'likes "quotes", commas' }]);
    const offset = 'name,note\r\nada,"likes ""quotes"", commas"\r\n'.length;
    expect(first.splits).toEqual([{ path: join(path, "people.csv"), offset, header: ["name", "note"] }]);
    const rest = await readSome(source, first.splits);
    expect(rest.values).toEqual([
      { name: "bob", note: "two\nlines" },
      { name: "cy", note: "" },
    ]);
    expect(rest.splits).toEqual([]);
  });

  it("reads NDJSON and text lines, and ends a bounded job cleanly", async () => {
    const path = await directoryOf("formats", { "events.ndjson": '{"id":1}\n\n{"id":2}\n' });
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const json = env.fromSource(fileSource<{ id: number }>({ path, format: "ndjson" }), "Events").collect();
    const text = env.fromSource(fileSource<string>({ path: join(path, "events.ndjson"), format: "text" }), "Lines").collect();
    await env.execute("files-formats");
    expect(json.values).toEqual([{ id: 1 }, { id: 2 }]);
    expect(text.values).toEqual(['{"id":1}', "", '{"id":2}']);
  });

  it("picks up a file added to a watched directory while the job runs", async () => {
    const path = await directoryOf("watched", { "1.txt": "one\ntwo\n" });
    const seen: string[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSource(fileSource<string>({ path, format: "text", watch: true, pollIntervalMs: 20 }), "Watched").addSink((line: string) => void seen.push(line));
    const client = await env.executeAsync("files-watched");
    await waitFor(() => (seen.length === 2 ? true : undefined), "the first file's lines");
    // Written elsewhere, then renamed in: the source sees the file whole.
    await writeFile(join(dir, "2.txt.partial"), "three\nfour\n");
    await rename(join(dir, "2.txt.partial"), join(path, "2.txt"));
    await waitFor(() => (seen.length === 4 ? true : undefined), "the added file's lines");
    await client.cancel();
    await expect(client.result).rejects.toBeInstanceOf(JobExecutionError);
    expect([...seen].sort()).toEqual(["four", "one", "three", "two"]);
  });

  it("hands each watched file to one reader that asks, and after a restore at another parallelism only the files it has not handed out", async () => {
    const path = await directoryOf("watched-enumerator", { "1.txt": "one\n", "2.txt": "two\n" });
    const options = { path, watch: true, pollIntervalMs: 60_000 };
    const first = enumeratorHarness(2);
    const enumerator = new FileSplitEnumerator(options, first.ctx);
    enumerator.start();
    await first.listed();
    enumerator.handleSplitRequest(1);
    enumerator.handleSplitRequest(0);
    enumerator.handleSplitRequest(1);
    // One file per request, in the order asked; the third request waits for a new file.
    expect(first.sent).toEqual([
      { to: 1, splits: [{ path: join(path, "1.txt"), offset: 0 }] },
      { to: 0, splits: [{ path: join(path, "2.txt"), offset: 0 }] },
    ]);
    const state = enumerator.snapshotState();
    expect(state).toEqual({ known: [join(path, "1.txt"), join(path, "2.txt")], pending: [], listed: true });
    // Reader 0 failed before a checkpoint covered its file: it comes back and goes to the next reader that asks.
    enumerator.addSplitsBack([{ path: join(path, "2.txt"), offset: 0 }]);
    expect(first.sent.at(-1)).toEqual({ to: 1, splits: [{ path: join(path, "2.txt"), offset: 0 }] });

    await writeFile(join(path, "3.txt"), "three\n");
    const restored = enumeratorHarness(3);
    const again = new FileSplitEnumerator(options, restored.ctx, structuredClone(state));
    again.start();
    await restored.listed();
    for (const reader of [2, 0, 1]) again.handleSplitRequest(reader);
    expect(restored.sent).toEqual([{ to: 2, splits: [{ path: join(path, "3.txt"), offset: 0 }] }]);
  });

  it("tells every reader that asks once a bounded directory's files are all out", async () => {
    const path = await directoryOf("bounded-enumerator", { "1.txt": "one\n" });
    const harness = enumeratorHarness(2);
    const enumerator = new FileSplitEnumerator({ path, watch: false, pollIntervalMs: 1000 }, harness.ctx);
    enumerator.handleSplitRequest(0);
    enumerator.start();
    await harness.listed();
    enumerator.handleSplitRequest(1);
    expect(harness.sent).toEqual([
      { to: 0, splits: [{ path: join(path, "1.txt"), offset: 0 }] },
      { to: 1, noMoreSplits: true },
    ]);
  });

  it("fails the job on a malformed line with the source, the file and the byte offset", async () => {
    const path = await directoryOf("malformed", { "bad.ndjson": '{"id":1}\n{"id":\n{"id":3}\n' });
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSource(fileSource({ path, format: "ndjson" }), "Bad").addSink(() => undefined);
    const error = await env.execute("files-malformed").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain(`fileSource ${path}: cannot decode the record at byte 9 of ${join(path, "bad.ndjson")}: `);
  });

  it("fails the job at once on a malformed line with checkpointing on, instead of restarting without end", async () => {
    const path = await directoryOf("malformed-checkpointed", { "bad.ndjson": '{"id":1}\n{"id":\n' });
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.enableCheckpointing(50);
    env.fromSource(fileSource({ path, format: "ndjson" }), "Bad").addSink(() => undefined);
    const error = await env.execute("files-malformed-checkpointed").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain(`cannot decode the record at byte 9 of ${join(path, "bad.ndjson")}: `);
    expect((error as Error).message).toContain("no restart can cure this failure");
  });

  it("fails the job at once, with checkpointing on, when the path does not exist", async () => {
    const path = join(await directoryOf("missing-parent", {}), "nope");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.enableCheckpointing(50);
    env.fromSource(fileSource<string>({ path, format: "text" }), "Missing").addSink(() => undefined);
    const error = await env.execute("files-missing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain(`fileSource ${path}: cannot list ${path}: ENOENT`);
    expect((error as Error).message).toContain("no restart can cure this failure");
  });

  it("fails the job at once, with checkpointing on, when a listed file is removed before it is read", async () => {
    const path = await directoryOf("vanishing", { "a.txt": "a1\na2\n", "b.txt": "b1\nb2\n" });
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.enableCheckpointing(50);
    // The first line read removes the other file: it was listed, and is gone when its turn comes.
    let removed = "";
    env
      .fromSource(fileSource<string>({ path, format: "text" }), "Vanishing")
      .map((line: string) => {
        if (removed === "") {
          removed = join(path, line.startsWith("a") ? "b.txt" : "a.txt");
          rmSync(removed);
        }
        return line;
      })
      .addSink(() => undefined);
    const error = await env.execute("files-vanishing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain(`cannot read ${removed} at byte 0: ENOENT`);
    expect((error as Error).message).toContain("no restart can cure this failure");
  });

  it("sends malformed lines to the dead-letter output and counts them when configured", async () => {
    const path = await directoryOf("dead-letters", { "orders.csv": 'id,item\n1,pen\n3,cap,extra\n2,"ink"x\n4,"cap"\n' });
    const metrics = new MetricRegistry();
    const env = new StreamExecutionEnvironment({ parallelism: 1, executor: new EmbeddedExecutor({ metrics }) });
    const orders = env.fromSource(fileSource<Record<string, string>>({ path, format: "csv", onBadRecord: "dead-letter" }), "Orders");
    const good = orders.collect();
    const bad = orders.getSideOutput(DEAD_LETTERS).collect();
    await env.execute("files-dead-letters");
    expect(good.values).toEqual([
      { id: "1", item: "pen" },
      { id: "4", item: "cap" },
    ]);
    const letter = { source: `fileSource ${path}`, split: join(path, "orders.csv") };
    expect(bad.values).toEqual<DeadLetter[]>([
      { ...letter, position: 14, raw: "3,cap,extra", error: "expected 2 fields (as in the header), got 3" },
      { ...letter, position: 26, raw: '2,"ink"x', error: 'unexpected "x" after the closing quote of field 2' },
    ]);
    expect(metrics.sum(DEAD_LETTERS_METRIC, { source: "Orders" })).toBe(2);
  });

  it("fails with the file and the offset when a file vanished, and refuses bad options", async () => {
    expect(() => fileSource({ path: "", format: "text" })).toThrow("fileSource: path must name a file or a directory");
    expect(() => fileSource({ path: dir, format: "xml" as "text" })).toThrow('fileSource: format must be "text", "ndjson", "csv" or a function, got "xml"');
    const path = await directoryOf("vanished", { "gone.txt": "a\nb\n" });
    const source = fileSource<string>({ path, format: "text" });
    const first = await readSome(source, [{ path: join(path, "gone.txt"), offset: 0 }], 1);
    await rm(join(path, "gone.txt"));
    await expect(readSome(source, first.splits)).rejects.toThrow(`fileSource ${path}: cannot read ${join(path, "gone.txt")} at byte 2: ENOENT`);
  });
});

/** A context for an enumerator driven by hand: every reader registered, what it sends recorded, its listing awaited. */
function enumeratorHarness(parallelism: number) {
  const sent: ({ to: number; splits: unknown[] } | { to: number; noMoreSplits: true })[] = [];
  let pending: Promise<void> = Promise.resolve();
  const ctx: SplitEnumeratorContext = {
    parallelism,
    clock: systemClock,
    registeredReaders: () => range(parallelism),
    assignSplits: (to, splits) => void sent.push({ to, splits }),
    signalNoMoreSplits: (to) => void sent.push({ to, noMoreSplits: true }),
    sendEventToReader: () => undefined,
    // Once, however periodic: the test decides when the directory is listed again.
    callAsync: (work, handle) => void (pending = work().then(handle)),
  };
  return { ctx, sent, listed: () => pending };
}
