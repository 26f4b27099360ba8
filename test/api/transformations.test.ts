// map, flatMap and filter end to end, as plain functions and as rich function objects: open and
// close run once per subtask, the runtime context says where the function runs, and a function
// object's fields belong to one subtask.

import { describe, expect, it } from "vitest";
import { RichFilterFunction, RichMapFunction, StreamExecutionEnvironment, type Collector, type RuntimeContext } from "../../src/index.ts";
import { range, sorted } from "./comparisons.ts";
import { tagSubtask, valuesBySubtask } from "./subtask-tagging.ts";

const LINES = ["the quick brown fox", "jumps over the lazy dog", "", "The end of the fox"];

function wordsOf(line: string): string[] {
  return line.split(" ").filter((w) => w.length > 0);
}

describe("map, flatMap and filter", () => {
  it("map applies the function to every record", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env.fromSequence(1, 200).map((n) => n * n + 1).executeAndCollect();
    expect(sorted(out)).toEqual(range(1, 200).map((n) => n * n + 1));
  });

  it("flatMap emits zero, one or many records per input", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromCollection(LINES)
      .flatMap((line: string, out: Collector<string>) => {
        for (const word of wordsOf(line)) out.collect(word.toLowerCase());
      })
      .executeAndCollect();
    const expected: string[] = [];
    for (const line of LINES) for (const word of line.split(" ")) if (word) expected.push(word.toLowerCase());
    expect(sorted(out)).toEqual(sorted(expected));
  });

  it("filter keeps exactly the records the predicate accepts", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const out = await env.fromSequence(0, 999).filter((n) => n % 7 === 3).executeAndCollect();
    expect(sorted(out)).toEqual(range(0, 999).filter((n) => n % 7 === 3));
  });

  it("map, flatMap and filter chain into one pipeline that keeps per-record order at parallelism 1", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const out = await env
      .fromElements(3, 1, 4, 1, 5, 9, 2, 6)
      .flatMap((n: number, out: Collector<number>) => {
        out.collect(n);
        out.collect(-n);
      })
      .filter((n) => n % 2 !== 0)
      .map((n) => `v${n}`)
      .executeAndCollect();
    const expected: string[] = [];
    for (const n of [3, 1, 4, 1, 5, 9, 2, 6]) for (const m of [n, -n]) if (m % 2 !== 0) expected.push(`v${m}`);
    expect(out).toEqual(expected);
  });

  it("function objects work for map, flatMap and filter", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env
      .fromSequence(1, 30)
      .map({ map: (n: number) => n * 10 })
      .flatMap({ flatMap(n: number, out: Collector<number>) { out.collect(n); out.collect(n + 1); } })
      .filter({ filter: (n: number) => n % 20 !== 0 })
      .executeAndCollect();
    const expected: number[] = [];
    for (let n = 1; n <= 30; n++) for (const m of [n * 10, n * 10 + 1]) if (m % 20 !== 0) expected.push(m);
    expect(sorted(out)).toEqual(sorted(expected));
  });
});

describe("rich functions", () => {
  it("open and close run once per subtask, with the runtime context of that subtask", async () => {
    const opened: RuntimeContext[] = [];
    let closed = 0;
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    await env
      .fromSequence(1, 90)
      .map({
        open(ctx: RuntimeContext) {
          opened.push(ctx);
        },
        close() {
          closed += 1;
        },
        map: (n: number) => n,
      })
      .name("rich-map")
      .executeAndCollect();
    expect(opened.map((c) => c.subtaskIndex).sort()).toEqual([0, 1, 2]);
    for (const ctx of opened) {
      expect(ctx.parallelism).toBe(3);
      expect(ctx.maxParallelism).toBe(128);
      // The task name is the name of the chain the function runs in.
      expect(ctx.taskName).toContain("rich-map");
      expect(ctx.jobId).toBe(opened[0].jobId);
    }
    expect(closed).toBe(3);
  });

  it("a map tagging records with its subtask index sees every subtask index from 0 to parallelism - 1", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    const tagged = await env.fromSequence(0, 399).map(tagSubtask<number>()).executeAndCollect();
    expect(sorted(tagged.map((t) => t.value))).toEqual(range(0, 399));
    expect([...valuesBySubtask(tagged).keys()].sort()).toEqual([0, 1, 2, 3]);
  });

  it("a function object's fields are per subtask: counters kept in fields do not mix", async () => {
    const reports: { subtask: number; count: number; sum: number }[] = [];
    class CountingMap {
      subtask = -1;
      count = 0;
      sum = 0;
      open(ctx: RuntimeContext): void {
        this.subtask = ctx.subtaskIndex;
      }
      map(n: number): { value: number; subtask: number } {
        this.count += 1;
        this.sum += n;
        return { value: n, subtask: this.subtask };
      }
      close(): void {
        reports.push({ subtask: this.subtask, count: this.count, sum: this.sum });
      }
    }
    // One instance handed to the API; every subtask must see its own fields.
    const shared = new CountingMap();
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const tagged = await env.fromSequence(1, 300).map(shared).executeAndCollect();
    const bySubtask = valuesBySubtask(tagged);
    expect(reports.map((r) => r.subtask).sort()).toEqual([0, 1, 2]);
    for (const report of reports) {
      const seen = bySubtask.get(report.subtask) ?? [];
      expect(report.count).toBe(seen.length);
      expect(report.sum).toBe(seen.reduce((a, b) => a + b, 0));
    }
    expect(reports.reduce((a, r) => a + r.count, 0)).toBe(300);
    // The instance the job was built from is untouched.
    expect(shared.count).toBe(0);
  });

  it("RichMapFunction and RichFilterFunction reach getRuntimeContext() from open() on", async () => {
    class TagWithSubtask extends RichMapFunction<number, { n: number; subtask: number; of: number }> {
      map(n: number) {
        const ctx = this.getRuntimeContext();
        return { n, subtask: ctx.subtaskIndex, of: ctx.parallelism };
      }
    }
    class KeepOwnHalf extends RichFilterFunction<{ n: number; subtask: number }> {
      private subtask = -1;
      override open(): void {
        this.subtask = this.getRuntimeContext().subtaskIndex;
      }
      filter(r: { n: number; subtask: number }): boolean {
        return r.subtask === this.subtask && r.n % 2 === 0;
      }
    }
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env.fromSequence(1, 100).map(new TagWithSubtask()).filter(new KeepOwnHalf()).executeAndCollect();
    // The filter is chained to the map, so it runs in the same subtask and keeps every even number.
    expect(sorted(out.map((r) => r.n))).toEqual(range(1, 100).filter((n) => n % 2 === 0));
    expect(sorted([...new Set(out.map((r) => `${r.subtask}/${r.of}`))])).toEqual(["0/2", "1/2"]);
  });

  it("an instance of a user class keeps its prototype methods in every subtask", async () => {
    class Scaler {
      private offset = 0;
      constructor(private readonly factor: number) {}
      open(ctx: RuntimeContext): void {
        this.offset = ctx.subtaskIndex * 1000;
      }
      map(n: number): { scaled: number; offset: number } {
        return { scaled: this.scale(n), offset: this.offset };
      }
      private scale(n: number): number {
        return n * this.factor;
      }
    }
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const out = await env.fromSequence(1, 20).map(new Scaler(3)).executeAndCollect();
    expect(sorted(out.map((r) => r.scaled))).toEqual(range(1, 20).map((n) => n * 3));
    expect(sorted([...new Set(out.map((r) => r.offset))])).toEqual([0, 1000]);
  });

  it("a function object without the expected method fails the job with a clear message", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements(1, 2).map({ mapp: (n: number) => n } as never).collect();
    await expect(env.execute()).rejects.toThrow("function object has no map() method");
  });
});
