// Chain fusion end to end: a job whose map/filter/flatMap operators are chained (and so fused)
// gives the same records, the same per-subtask function state and the same open/close calls as
// the same job with chaining disabled; a failing fused function fails the job naming its operator.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JobExecutionError, StreamExecutionEnvironment, type Collector, type DataStream, type RuntimeContext } from "../../src/index.ts";
import { sorted } from "./comparisons.ts";

type Step = { kind: "map"; add: number } | { kind: "filter"; modulus: number } | { kind: "flatMap"; copies: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("map" as const), add: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant("filter" as const), modulus: fc.integer({ min: 2, max: 4 }) }),
  fc.record({ kind: fc.constant("flatMap" as const), copies: fc.integer({ min: 0, max: 2 }) }),
);

function apply(stream: DataStream<number>, step: Step, chained: boolean): DataStream<number> {
  const next =
    step.kind === "map"
      ? stream.map((n) => n * 3 + step.add)
      : step.kind === "filter"
        ? stream.filter((n) => Math.abs(n) % step.modulus !== 0)
        : stream.flatMap((n: number, out: Collector<number>) => {
            for (let i = 0; i < step.copies; i++) out.collect(n + i);
          });
  return chained ? next : next.disableChaining();
}

async function runSteps(steps: Step[], chained: boolean): Promise<number[]> {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  let stream: DataStream<number> = env.fromSequence(1, 300);
  for (const step of steps) stream = apply(stream, step, chained);
  return sorted(await stream.executeAndCollect());
}

/** What the counting steps report at close (a module value: a function object's fields are copied per subtask). */
const reports: string[] = [];

/** Counts what it saw in fields (one copy per subtask) and reports them at close. */
class CountingStep {
  subtask = -1;
  count = 0;
  sum = 0;
  open(ctx: RuntimeContext): void {
    this.subtask = ctx.subtaskIndex;
  }
  protected see(n: number): void {
    this.count += 1;
    this.sum += n;
  }
  close(): void {
    reports.push(`${this.constructor.name} subtask ${this.subtask}: ${this.count} records, sum ${this.sum}`);
  }
}
class CountingMap extends CountingStep {
  map(n: number): number {
    this.see(n);
    return n + 1;
  }
}
class CountingFilter extends CountingStep {
  filter(n: number): boolean {
    this.see(n);
    return n % 3 !== 0;
  }
}
class CountingFlatMap extends CountingStep {
  flatMap(n: number, out: Collector<number>): void {
    this.see(n);
    out.collect(n);
    if (n % 5 === 0) out.collect(-n);
  }
}

describe("chain fusion in a job", () => {
  it("a chain of random map/filter/flatMap steps gives the same records chained (fused) as with chaining disabled", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 5 }), async (steps) => {
        expect(await runSteps(steps, true)).toEqual(await runSteps(steps, false));
      }),
      { numRuns: 8 },
    );
  });

  it("rich functions in a fused chain are opened and closed once per subtask and keep their own fields, as unchained", async () => {
    const run = async (chained: boolean) => {
      reports.length = 0;
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      let stream = env.fromSequence(1, 200).map(new CountingMap());
      if (!chained) stream = stream.disableChaining();
      stream = stream.filter(new CountingFilter());
      if (!chained) stream = stream.disableChaining();
      stream = stream.flatMap(new CountingFlatMap());
      if (!chained) stream = stream.disableChaining();
      const out = sorted(await stream.executeAndCollect());
      return { out, reports: [...reports].sort() };
    };
    const fused = await run(true);
    const unfused = await run(false);
    expect(fused.reports).toHaveLength(6);
    expect(fused).toEqual(unfused);
  });

  it("an exception in the second fused function fails the job, naming that operator", async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 1 });
    env
      .fromSequence(1, 100)
      .map((n) => n + 1)
      .name("parse")
      .filter((n) => {
        if (n === 42) throw new RangeError("price 42 is out of range");
        return true;
      })
      .name("price check")
      .map((n) => n * 2)
      .addSink(() => undefined);
    const error = await env.execute("failing fused chain").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as Error).message).toContain("price 42 is out of range");
    expect((error as Error).message).toMatch(/at step1_price_check /);
  });
});
