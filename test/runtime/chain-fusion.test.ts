// Chain fusion: a run of chained map/filter/flatMap operators fused into one function gives the
// same records, in the same order, as the same operators calling each other one by one, and an
// independently computed model; an exception is the user's own, and its stack names the step.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Collector, StreamOperator } from "../../src/operators/operator.ts";
import { SinkOperator } from "../../src/operators/sinks.ts";
import { FilterOperator, FlatMapOperator, MapOperator, type StatelessOperator } from "../../src/operators/stateless.ts";
import { fuseChain, sourceOutputOf } from "../../src/runtime/chain-fusion.ts";
import { ChainedInput, ChainOutput } from "../../src/runtime/operator-chain.ts";
import { operatorTestContext } from "../../src/testing/operator-context.ts";

type Step = { kind: "map"; add: number } | { kind: "filter"; modulus: number } | { kind: "flatMap"; copies: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("map" as const), add: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant("filter" as const), modulus: fc.integer({ min: 2, max: 4 }) }),
  fc.record({ kind: fc.constant("flatMap" as const), copies: fc.integer({ min: 0, max: 2 }) }),
);

function operatorOf(step: Step): StatelessOperator {
  switch (step.kind) {
    case "map":
      return new MapOperator((n: number) => n * 3 + step.add);
    case "filter":
      return new FilterOperator((n: number) => Math.abs(n) % step.modulus !== 0);
    case "flatMap":
      return new FlatMapOperator((n: number, out: Collector<number>) => {
        for (let i = 0; i < step.copies; i++) out.collect(n + i);
      });
  }
}

/** The same steps over arrays: the expectation, computed without any operator. */
function model(steps: Step[], input: number[]): number[] {
  let values = input;
  for (const step of steps) {
    if (step.kind === "map") values = values.map((n) => n * 3 + step.add);
    else if (step.kind === "filter") values = values.filter((n) => Math.abs(n) % step.modulus !== 0);
    else values = values.flatMap((n) => Array.from({ length: step.copies }, (_, i) => n + i));
  }
  return values;
}

interface Chain {
  operators: Map<number, StreamOperator>;
  outputs: ChainOutput[];
  stateless: StatelessOperator[];
  received: unknown[];
}

/** Opens `stateless` chained one after the other into a sink, as buildChain and openTaskOperators would. */
async function chainOf(stateless: StatelessOperator[]): Promise<Chain> {
  const received: unknown[] = [];
  const all: StreamOperator[] = [...stateless, new SinkOperator((value: unknown) => void received.push(value))];
  const outputs = all.map(() => new ChainOutput());
  for (let i = 0; i + 1 < all.length; i++) outputs[i].addMain(new ChainedInput(all[i + 1], 0));
  const operators = new Map<number, StreamOperator>();
  for (const [i, operator] of all.entries()) {
    operators.set(i + 1, operator);
    await operator.open({ ...operatorTestContext(operator).ctx, output: outputs[i] });
  }
  return { operators, outputs, stateless, received };
}

function run(chain: Chain, input: number[]): unknown[] {
  chain.received.length = 0;
  for (const n of input) chain.stateless[0].process(n);
  return [...chain.received];
}

function stackOf(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).stack ?? "";
  }
  throw new Error("expected a throw");
}

describe("chain fusion", () => {
  it("a fused chain of random map/filter/flatMap steps emits what the unfused chain and the model emit, in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 7 }), fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 40 }), async (steps, input) => {
        const unfused = await chainOf(steps.map(operatorOf));
        const fused = await chainOf(steps.map(operatorOf));
        fuseChain(fused.operators, (nodeId) => `op${nodeId}`);
        expect(fused.stateless.every((op) => op.fusedRun !== undefined)).toBe(true);
        const expected = model(steps, input);
        expect(run(unfused, input)).toEqual(expected);
        expect(run(fused, input)).toEqual(expected);
        // A step inside the run, called on its own (another producer chained into it), runs the rest of the run.
        const last = steps.length - 1;
        fused.received.length = 0;
        for (const n of input) fused.stateless[last].process(n);
        expect(fused.received).toEqual(model(steps.slice(last), input));
      }),
      { numRuns: 200 },
    );
  });

  it("a reader writing to the source's output reaches the fused run directly, and side outputs still reach the source's targets", async () => {
    const chain = await chainOf([new MapOperator((n: number) => n + 1), new FilterOperator((n: number) => n % 2 === 0)]);
    fuseChain(chain.operators, () => "step");
    const sourceOutput = new ChainOutput();
    sourceOutput.addMain(new ChainedInput(chain.stateless[0], 0));
    const side: unknown[] = [];
    sourceOutput.sides.set("bad", [{ collect: (value) => void side.push(value) }]);
    const readerOutput = sourceOutputOf(sourceOutput);
    expect(readerOutput).not.toBe(sourceOutput);
    for (const n of [1, 2, 3, 4, 5]) readerOutput.collect(n);
    readerOutput.collectSide("bad", "x");
    expect(chain.received).toEqual([2, 4, 6]);
    expect(side).toEqual(["x"]);
  });

  it("a run whose last operator has several targets hands each record to all of them", async () => {
    const chain = await chainOf([new MapOperator((n: number) => n * 10)]);
    const extra: unknown[] = [];
    chain.outputs[0].addMain({ collect: (value) => void extra.push(value) });
    fuseChain(chain.operators, () => "times10");
    run(chain, [1, 2]);
    expect(chain.received).toEqual([10, 20]);
    expect(extra).toEqual([10, 20]);
  });

  it("an error in the second fused function is the user's own error, and its stack names that operator", async () => {
    const thrownByUser: Error[] = [];
    const operators = () => [
      new MapOperator((n: number) => n + 1),
      new FilterOperator((n: number) => {
        if (n === 13) {
          const error = new RangeError("price 13 is unlucky");
          thrownByUser.push(error);
          throw error;
        }
        return true;
      }),
      new MapOperator((n: number) => n * 2),
    ];
    const names = ["parse", "price check", "double"];
    const fused = await chainOf(operators());
    fuseChain(fused.operators, (nodeId) => names[nodeId - 1] ?? "sink");
    const unfused = await chainOf(operators());
    let thrown: unknown;
    try {
      fused.stateless[0].process(12);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(thrownByUser[0]);
    expect(stackOf(() => fused.stateless[0].process(12))).toMatch(/at step1_price_check /);
    expect(stackOf(() => unfused.stateless[0].process(12))).toMatch(/at FilterOperator\.processOne /);
    // Records before and after the failing one go through as they would unfused.
    expect(run(fused, [1, 2])).toEqual(run(unfused, [1, 2]));
  });

  it("an operator that is not open is left unfused", async () => {
    const operator = new MapOperator((n: number) => n);
    fuseChain(new Map([[1, operator]]), () => "map");
    expect(operator.fusedRun).toBeUndefined();
  });
});
