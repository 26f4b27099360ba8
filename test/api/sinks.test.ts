// Sinks end to end: collect, files (one file at parallelism 1, a directory of part files above),
// user sink functions, and print with Flink's "<subtask>> " prefix.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { JobExecutionError, StreamExecutionEnvironment, type RuntimeContext } from "../../src/index.ts";
import { range, sorted } from "./comparisons.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "weir-sinks-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function lines(file: string): string[] {
  return readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);
}

const RECORDS = range(1, 40).map((i) => ({ id: i, name: `item-${i}`, tags: i % 3 === 0 ? ["fizz"] : [] }));

describe("collect", () => {
  it("collect() fills values with every record, and executeAndCollect() returns them", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const stream = env.fromSequence(1, 2500).map((n) => n * 2);
    const first = stream.collect();
    const second = stream.filter((n) => n % 3 === 0).collect();
    expect(first.values).toEqual([]);
    await env.execute();
    expect(sorted(first.values)).toEqual(range(1, 2500).map((n) => n * 2));
    expect(sorted(second.values)).toEqual(range(1, 2500).map((n) => n * 2).filter((n) => n % 3 === 0));
  });
});

describe("file sinks", () => {
  it("writeAsNdjson at parallelism 1 writes one file with one JSON document per line, in order", async () => {
    const path = join(dir, "out.ndjson");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromCollection(RECORDS).writeAsNdjson(path);
    await env.execute();
    expect(statSync(path).isFile()).toBe(true);
    expect(lines(path).map((l) => JSON.parse(l) as unknown)).toEqual(RECORDS);
  });

  it("writeAsNdjson at parallelism 2 writes a directory with part-0 and part-1 that together hold every record", async () => {
    const path = join(dir, "out");
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromCollection(RECORDS).writeAsNdjson(path);
    await env.execute();
    expect(statSync(path).isDirectory()).toBe(true);
    expect(readdirSync(path).sort()).toEqual(["part-0", "part-1"]);
    const parts = ["part-0", "part-1"].map((p) => lines(join(path, p)).map((l) => JSON.parse(l) as unknown));
    for (const part of parts) expect(part.length).toBeGreaterThan(0);
    expect(sorted(parts.flat())).toEqual(sorted(RECORDS));
  });

  it("writeAsText writes strings as they are and other values as JSON", async () => {
    const path = join(dir, "out.txt");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements<unknown>("plain line", 42, { a: 1 }, ["x", 2], "quote \"kept\"").writeAsText(path);
    await env.execute();
    expect(readFileSync(path, "utf8")).toBe(`${['plain line', "42", '{"a":1}', '["x",2]', 'quote "kept"'].join("\n")}\n`);
  });

  it("writeAsText at parallelism 2 writes part files; a sink parallelism of 1 writes one file", async () => {
    const parts = join(dir, "parts");
    const single = join(dir, "single.txt");
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const words = env.fromSequence(1, 300).map((n) => `w${n}`);
    words.writeAsText(parts);
    words.writeAsText(single).setParallelism(1);
    await env.execute();
    const expected = sorted(range(1, 300).map((n) => `w${n}`));
    expect(readdirSync(parts).sort()).toEqual(["part-0", "part-1"]);
    expect(sorted([...lines(join(parts, "part-0")), ...lines(join(parts, "part-1"))])).toEqual(expected);
    expect(statSync(single).isFile()).toBe(true);
    expect(sorted(lines(single))).toEqual(expected);
  });

  it("a relative path resolves against the environment's cwd option", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1, cwd: dir });
    env.fromElements("a", "b").writeAsText("relative.txt");
    await env.execute();
    expect(existsSync(join(dir, "relative.txt"))).toBe(true);
    expect(lines(join(dir, "relative.txt"))).toEqual(["a", "b"]);
  });

  describe("at a path no restart can make usable, fail a checkpointed job at once, naming the path and what to change", () => {
    // Checkpointing on and no restart strategy: the default restarts without end.
    async function failure(path: string, parallelism: number, write: "writeAsText" | "writeAsNdjson"): Promise<string> {
      const env = new StreamExecutionEnvironment({ parallelism });
      env.enableCheckpointing(50);
      env.fromSequence(1, 10)[write](path);
      const error = await env.execute(`unusable-${write}`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobExecutionError);
      const message = (error as Error).message;
      expect(message).toMatch(/\(not restarted: no restart can cure this failure\)$/);
      return message;
    }
    it("writeAsText at parallelism 1 on a directory", async () => {
      const path = join(dir, "a-directory");
      mkdirSync(path);
      expect(await failure(path, 1, "writeAsText")).toContain(`UnrecoverableError: writeAsText ${path}: it is a directory, and at parallelism 1 the sink writes one file at its path; give a file path or remove the directory`);
    });
    it("writeAsNdjson at parallelism 2 on a file", async () => {
      const path = join(dir, "a-file");
      writeFileSync(path, "x\n");
      expect(await failure(path, 2, "writeAsNdjson")).toContain(`UnrecoverableError: writeAsNdjson ${path}: above parallelism 1 the path must be a directory of part files, and it (or a folder on the way) is a file; give another path or remove the file`);
      expect(readFileSync(path, "utf8")).toBe("x\n");
    });
    it("writeAsNdjson at parallelism 1 in a directory that does not exist", async () => {
      const path = join(dir, "missing", "out.ndjson");
      expect(await failure(path, 1, "writeAsNdjson")).toContain(`UnrecoverableError: writeAsNdjson ${path}: its directory ${join(dir, "missing")} does not exist; create it or give another path`);
    });
  });

  it("a large output is written completely", async () => {
    const path = join(dir, "big.ndjson");
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromSequence(0, 49_999).map((n) => ({ n, pad: "x".repeat(n % 17) })).writeAsNdjson(path);
    await env.execute();
    const read = lines(path).map((l) => (JSON.parse(l) as { n: number }).n);
    expect(read).toEqual(range(0, 49_999));
  });
});

describe("addSink", () => {
  it("a plain sink function receives every record in this process", async () => {
    const received: number[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    env.fromSequence(1, 500).map((n) => n * 3).addSink((n) => received.push(n));
    await env.execute();
    expect(sorted(received)).toEqual(range(1, 500).map((n) => n * 3));
  });

  it("a sink object gets open with its subtask's context, invoke per record and close at the end", async () => {
    const events: string[] = [];
    const bySubtask = new Map<number, number[]>();
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    class RecordingSink {
      private subtask = -1;
      private received: number[] = [];
      open(ctx: RuntimeContext): void {
        this.subtask = ctx.subtaskIndex;
        this.received = [];
        events.push(`open ${ctx.subtaskIndex}`);
      }
      invoke(n: number): void {
        this.received.push(n);
      }
      close(): void {
        bySubtask.set(this.subtask, this.received);
        events.push(`close ${this.subtask}`);
      }
    }
    // Each subtask gets its own (shallow) copy of the object, so the array is created in open():
    // one initialized only in the constructor would be shared by both subtasks.
    env.fromSequence(1, 100).addSink(new RecordingSink());
    await env.execute();
    expect(sorted(events)).toEqual(["close 0", "close 1", "open 0", "open 1"]);
    expect(sorted([...bySubtask.values()].flat())).toEqual(range(1, 100));
    for (const values of bySubtask.values()) expect(values.length).toBeGreaterThan(0);
  });
});

describe("print", () => {
  function capturePrinted(): string[] {
    const printed: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      printed.push(...String(chunk).split("\n").filter((l) => l.length > 0));
      return true;
    });
    return printed;
  }

  it("print at parallelism 2 prefixes each line with the subtask number plus one", async () => {
    const printed = capturePrinted();
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromElements("alpha", "beta", "gamma", "delta").map((s) => s.toUpperCase()).print();
    await env.execute();
    vi.restoreAllMocks();
    const mine = printed.filter((l) => /^\d+> /.test(l));
    expect(sorted(mine.map((l) => l.replace(/^\d+> /, "")))).toEqual(["ALPHA", "BETA", "DELTA", "GAMMA"]);
    expect(sorted([...new Set(mine.map((l) => l.slice(0, l.indexOf(">"))))])).toEqual(["1", "2"]);
  });

  it("print at parallelism 1 has no prefix, and a label is put before the subtask number", async () => {
    const printed = capturePrinted();
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements({ n: 1 }, { n: 2 }).print();
    env.fromElements(7, 8).map((n) => n).setParallelism(2).print("nums").setParallelism(2);
    await env.execute();
    vi.restoreAllMocks();
    expect(printed.filter((l) => l.startsWith("{"))).toEqual(['{"n":1}', '{"n":2}']);
    const labelled = printed.filter((l) => l.startsWith("nums:"));
    expect(sorted(labelled.map((l) => l.replace(/^nums:[12]> /, "")))).toEqual(["7", "8"]);
    // Two records rebalanced over two subtasks: one each.
    expect(sorted(labelled.map((l) => l.slice(0, l.indexOf(" "))))).toEqual(["nums:1>", "nums:2>"]);
  });
});
