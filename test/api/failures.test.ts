// Failures: an exception in user code fails the job, and execute() rejects with a
// JobExecutionError carrying the user's message. Bad configuration fails before anything runs,
// with a message that says what to change.

import { describe, expect, it } from "vitest";
import {
  JobExecutionError,
  KeyedProcessFunction,
  OutputTag,
  StreamExecutionEnvironment,
  type Collector,
  type KeyedProcessContext,
  type RuntimeContext,
} from "../../src/index.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { range, sorted } from "./comparisons.ts";
import { tagSubtask } from "./subtask-tagging.ts";

async function executionError(env: StreamExecutionEnvironment): Promise<JobExecutionError> {
  const error = await env.execute("failing job").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobExecutionError);
  return error as JobExecutionError;
}

describe("user code that throws", () => {
  it("a map that throws makes execute() reject with a JobExecutionError naming the failure", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(1, 100)
      .map((n) => {
        if (n === 42) throw new Error("cannot map 42");
        return n;
      })
      .collect();
    const error = await executionError(env);
    expect(error.status).toBe("failed");
    expect(error.message).toContain("cannot map 42");
    expect(error.jobId).toMatch(/^[0-9a-f]+$/);
    expect(error.message).toContain(error.jobId);
  });

  it("an exception in open() fails the job", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(1, 10)
      .filter({
        open() {
          throw new Error("config file missing");
        },
        filter: () => true,
      })
      .collect();
    expect((await executionError(env)).message).toContain("config file missing");
  });

  it("an exception in a keyed reduce after a network edge fails the job", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    env
      .fromSequence(1, 1000)
      .keyBy((n) => n % 10)
      .reduce((a, b) => {
        if (b === 777) throw new RangeError("reduce saw 777");
        return a + b;
      })
      .collect();
    expect((await executionError(env)).message).toContain("reduce saw 777");
  });

  it("an exception in a sink fails the job", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env.fromElements("ok", "bad", "ok").addSink((s) => {
      if (s === "bad") throw new Error("sink rejected bad");
    });
    expect((await executionError(env)).message).toContain("sink rejected bad");
  });

  it("an exception in a generator source fails the job", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromGenerator(
        (i) => {
          if (i === 500) throw new Error("generator broke at 500");
          return i;
        },
        { count: 1000 },
      )
      .collect();
    expect((await executionError(env)).message).toContain("generator broke at 500");
  });

  it("an exception in onTimer fails the job", async () => {
    class FailingTimer extends KeyedProcessFunction<number, number, number> {
      processElement(_n: number, ctx: KeyedProcessContext<number>): void {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 1);
      }
      override onTimer(): void {
        throw new Error("timer exploded");
      }
    }
    // An unbounded generator keeps the job running until the timer fails it.
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromGenerator((i) => i % 4, { ratePerSecond: 200 })
      .keyBy((n) => n)
      .process(new FailingTimer())
      .addSink(() => undefined);
    expect((await executionError(env)).message).toContain("timer exploded");
  });

  it("close() runs exactly once in every subtask of a failed job", async () => {
    const closed: number[] = [];
    class ClosingMap {
      private subtask = -1;
      open(ctx: RuntimeContext): void {
        this.subtask = ctx.subtaskIndex;
      }
      map(n: number): number {
        if (n === 700) throw new Error("fails at 700");
        return n;
      }
      close(): void {
        closed.push(this.subtask);
      }
    }
    // Subtask 1 (700 is in its half) fails while subtask 0 finishes or is canceled.
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(1, 1000).map(new ClosingMap()).collect();
    expect((await executionError(env)).message).toContain("fails at 700");
    expect(closed.sort()).toEqual([0, 1]);
  });

  it("when an open() fails, the functions opened before it in the chain are closed", async () => {
    const events: string[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env
      .fromSequence(1, 10)
      .map({ open: () => void events.push("open first"), close: () => void events.push("close first"), map: (n: number) => n })
      .map({
        open: () => {
          events.push("open second");
          throw new Error("second cannot open");
        },
        map: (n: number) => n,
      })
      .collect();
    expect((await executionError(env)).message).toContain("second cannot open");
    expect(events).toEqual(["open first", "open second", "close first"]);
  });

  it("after a failed job, the next job in the same process runs normally", async () => {
    const failing = new StreamExecutionEnvironment({ parallelism: 2 });
    failing.fromSequence(1, 10).map((): number => {
      throw new Error("always fails");
    }).collect();
    await executionError(failing);

    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    expect(sorted(await env.fromSequence(1, 50).map((n) => n + 1).executeAndCollect())).toEqual(range(2, 51));
  });

  it("a record too large for a collect batch, in the middle of a stream, fails the job instead of the process", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const big = "x".repeat(600 * 1024);
    // A slow source: batches are sent as the stream goes, so the big one leaves mid-stream.
    const out = env.fromGenerator((i) => (i === 5 ? big : `small-${i}`), { count: 40, ratePerSecond: 400 }).executeAndCollect();
    await expect(out).rejects.toThrow(/exceeds the frame limit|above the frame limit/);
  });

  it("a failing job's collect() results are not returned as if complete", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    const out = env
      .fromSequence(1, 10)
      .flatMap((n: number, out: Collector<number>) => {
        if (n === 10) throw new Error("last one fails");
        out.collect(n);
      })
      .executeAndCollect();
    await expect(out).rejects.toThrow("last one fails");
  });
});

describe("bad configuration fails fast", () => {
  it("setParallelism(0) is rejected on the environment, an operator and a sink", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.setParallelism(0)).toThrow("setParallelism(0): parallelism must be a positive integer");
    const stream = env.fromSequence(1, 10).map((n) => n);
    expect(() => stream.setParallelism(0)).toThrow("setParallelism(0): parallelism must be a positive integer");
    expect(() => stream.setParallelism(1.5)).toThrow("setParallelism(1.5): parallelism must be a positive integer");
    expect(() => stream.addSink(() => undefined).setParallelism(-1)).toThrow("setParallelism(-1): parallelism must be a positive integer");
  });

  it("a non-parallel source refuses a parallelism above 1", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.fromElements(1, 2, 3).setParallelism(2)).toThrow("Elements is not parallel: setParallelism(2) is not allowed");
    expect(() => env.fromCollection([1, 2]).setParallelism(3)).toThrow("Collection is not parallel: setParallelism(3) is not allowed");
    // Parallelism 1 is what it runs with anyway.
    expect(() => env.fromElements(1).setParallelism(1)).not.toThrow();
  });

  it("a non-parallel source runs with parallelism 1 whatever the environment's default", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    const out = env.fromElements("a", "b", "c").map(tagSubtask<string>()).collect();
    expect(buildJobGraph(env.graph, env.jobConfig()).vertices.map((v) => v.parallelism)).toEqual([1, 4]);
    await env.execute();
    // Emitted once, not once per subtask of the default parallelism.
    expect(sorted(out.values.map((t) => t.value))).toEqual(["a", "b", "c"]);
  });

  it("a maxParallelism below the parallelism makes execute() reject before the job runs", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 }).setMaxParallelism(2);
    let mapped = 0;
    env.fromSequence(1, 10).map((n) => {
      mapped += 1;
      return n;
    }).collect();
    await expect(env.execute()).rejects.toThrow("parallelism 4 exceeds maxParallelism 2: raise setMaxParallelism() or lower the parallelism");
    expect(mapped).toBe(0);
  });

  it("an operator's parallelism above its own maxParallelism makes execute() reject", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromSequence(1, 10).map((n) => n).setParallelism(8).setMaxParallelism(4).collect();
    await expect(env.execute()).rejects.toThrow("parallelism 8 exceeds maxParallelism 4");
  });

  it("an invalid maxParallelism is rejected when it is set", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.setMaxParallelism(0)).toThrow("maxParallelism must be an integer in [1, 32768], got 0");
    expect(() => env.setMaxParallelism(40_000)).toThrow("maxParallelism must be an integer in [1, 32768], got 40000");
    expect(() => env.fromSequence(1, 2).map((n) => n).setMaxParallelism(0)).toThrow("maxParallelism must be an integer in [1, 32768], got 0");
  });

  it("forward() between operators of different parallelism makes execute() reject with advice", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env.fromElements(1, 2, 3).forward().map((n) => n).collect();
    await expect(env.execute()).rejects.toThrow("needs equal parallelism: use rebalance() or rescale()");
  });

  it("union() and connect() refuse a stream of another environment", () => {
    const env = new StreamExecutionEnvironment();
    const other = new StreamExecutionEnvironment();
    const mine = env.fromElements("mine");
    const theirs = other.fromElements("theirs");
    expect(() => mine.union(theirs)).toThrow("union() needs streams of the same StreamExecutionEnvironment");
    expect(() => mine.connect(theirs)).toThrow("connect() needs streams of the same StreamExecutionEnvironment");
  });

  it("a job without operators makes execute() reject", async () => {
    await expect(new StreamExecutionEnvironment().execute()).rejects.toThrow("the job defines no operators");
  });

  it("an OutputTag id must be usable as a subject token", () => {
    expect(() => new OutputTag("late data")).toThrow('OutputTag id "late data" must be non-empty');
  });
});
