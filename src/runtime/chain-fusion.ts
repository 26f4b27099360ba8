// Fuses each run of chained stateless operators (map, filter, flatMap) into one function, once
// the chain's operators are open. Receives the built chain; hands each stateless operator the
// function for the run that starts at it, and a source subtask's reader an output that calls the
// first operator directly.
//
// Why generated code: when every hop goes through the same `ChainOutput.collect` and operator
// `process`, those call sites see every operator class of the process (polymorphic) and call
// themselves (V8 does not inline a function into itself), so each hop is a real call. The code
// generated here gives each step of a run its own function, whose call sites see one target
// each, so V8 can inline the whole run. Its text is built only from fixed parts and sanitized
// operator names, and is cached by that text: jobs of the same shape share it.

import type { Collector, StreamOperator } from "../operators/operator.ts";
import type { SourceOutput } from "../operators/source.ts";
import { StatelessOperator, type StatelessStep } from "../operators/stateless.ts";
import type { SplitWatermark } from "../operators/split-watermarks.ts";
import { TimestampsAndWatermarksOperator } from "../operators/timestamps-and-watermarks.ts";
import { ChainedInput, type ChainOutput } from "./operator-chain.ts";

/** One run: the steps in order, then where the last one's results go. */
interface Run {
  steps: { step: StatelessStep; name: string; operator: StatelessOperator }[];
  /** The operator after the run (called directly), or the last step's output (several or partitioned targets). */
  exit: { kind: "process"; target: ChainedInput } | { kind: "collect"; output: ChainOutput };
}

type RunFactory = (fns: readonly unknown[], collectors: readonly FusedCollector[], exit: unknown, input: number) => (record: unknown) => void;

const factories = new Map<string, RunFactory>();

/**
 * Fuses every stateless operator of an opened chain with the stateless operators chained after
 * it. `nameOf` gives an operator's name, used in the fused step's function name so that a stack
 * trace still names the operator whose function threw.
 */
export function fuseChain(operators: ReadonlyMap<number, StreamOperator>, nameOf: (nodeId: number) => string): void {
  const names = new Map<StreamOperator, string>();
  for (const [nodeId, operator] of operators) names.set(operator, nameOf(nodeId));
  for (const operator of operators.values()) {
    if (!(operator instanceof StatelessOperator)) continue;
    const run = runFrom(operator, names);
    if (run) operator.fuse(compile(run));
  }
}

/**
 * The output a source's reader should write to: when its only target is a chained operator, an
 * output that calls that operator (or the fused run starting at it) directly.
 */
export function sourceOutputOf(output: ChainOutput): SourceOutput<unknown> {
  const target = onlyChainedTarget(output);
  if (!target) return output;
  const operator = target.operator;
  // Timestamps and watermarks chained to the source: per-split watermarks.
  if (operator instanceof TimestampsAndWatermarksOperator) return new SplitAwareSourceOutput(operator, operator.splits.own, output);
  const fused = operator instanceof StatelessOperator ? operator.fusedRun : undefined;
  const input = target.input;
  return new DirectSourceOutput(fused ?? ((record) => operator.process(record, input)), output);
}

/** The timestamps-and-watermarks operator chained right after a source, if there is one. */
export function sourceWatermarkOperator(output: ChainOutput): TimestampsAndWatermarksOperator<unknown> | undefined {
  const operator = onlyChainedTarget(output)?.operator;
  return operator instanceof TimestampsAndWatermarksOperator ? operator : undefined;
}

/** A reader's output whose collect is the chain's first step itself; splits make no difference. */
class DirectSourceOutput implements SourceOutput<unknown> {
  constructor(
    readonly collect: (record: unknown) => void,
    private readonly output: ChainOutput,
  ) {}
  collectSide(tag: string, record: unknown): void {
    this.output.collectSide(tag, record);
  }
  forSplit(): SourceOutput<unknown> {
    return this;
  }
  releaseSplit(): void {}
}

/** The output of one split (or of the reader's own, ""), into the chained watermark operator. */
class SplitAwareSourceOutput implements SourceOutput<unknown> {
  private readonly outputs: Map<string, SplitAwareSourceOutput>;

  constructor(
    private readonly operator: TimestampsAndWatermarksOperator<unknown>,
    private readonly split: SplitWatermark<unknown>,
    private readonly output: ChainOutput,
    outputs?: Map<string, SplitAwareSourceOutput>,
  ) {
    this.outputs = outputs ?? new Map();
  }
  collect(record: unknown): void {
    this.operator.processOfSplit(record, this.split);
  }
  collectSide(tag: string, record: unknown): void {
    this.output.collectSide(tag, record);
  }
  forSplit(splitId: string): SourceOutput<unknown> {
    let out = this.outputs.get(splitId);
    if (out === undefined || out.split.released) {
      out = new SplitAwareSourceOutput(this.operator, this.operator.splits.split(splitId), this.output, this.outputs);
      this.outputs.set(splitId, out);
    }
    return out;
  }
  releaseSplit(splitId: string): void {
    this.outputs.delete(splitId);
    this.operator.releaseSplit(splitId);
  }
}

/** The collector a fused flatMap step writes to: records go on to the next step; side outputs and watermarks to the operator's output. */
class FusedCollector implements Collector<unknown> {
  collect: (record: unknown) => void = () => undefined;
  constructor(private readonly output: ChainOutput) {}
  collectSide(tag: string, record: unknown): void {
    this.output.collectSide(tag, record);
  }
  emitWatermark(timestamp: number): void {
    this.output.emitWatermark(timestamp);
  }
}

function onlyChainedTarget(output: ChainOutput): ChainedInput | undefined {
  const only = output.main.length === 1 ? output.main[0] : undefined;
  return only instanceof ChainedInput ? only : undefined;
}

/** The run starting at `first`: it follows single chained targets while they are stateless operators. */
function runFrom(first: StatelessOperator, names: ReadonlyMap<StreamOperator, string>): Run | undefined {
  const steps: Run["steps"] = [];
  const seen = new Set<StreamOperator>();
  let operator = first;
  for (;;) {
    const step = operator.step();
    if (!step) return undefined; // not open: nothing to fuse
    steps.push({ step, name: names.get(operator) ?? step.kind, operator });
    seen.add(operator);
    const output = operator.chainOutput as ChainOutput;
    const target = onlyChainedTarget(output);
    if (!target) return { steps, exit: { kind: "collect", output } };
    if (!(target.operator instanceof StatelessOperator) || seen.has(target.operator)) return { steps, exit: { kind: "process", target } };
    operator = target.operator;
  }
}

function compile(run: Run): (record: unknown) => void {
  const source = runSource(run);
  let factory = factories.get(source);
  if (!factory) {
    factory = new Function("fns", "collectors", "exit", "input", source) as RunFactory;
    factories.set(source, factory);
  }
  const fns = run.steps.map((s) => s.step.fn);
  const collectors = run.steps.map((s) => new FusedCollector(s.operator.chainOutput as ChainOutput));
  const exit = run.exit.kind === "process" ? run.exit.target.operator : run.exit.output;
  const input = run.exit.kind === "process" ? run.exit.target.input : 0;
  return factory(fns, collectors, exit, input);
}

/**
 * The body of a run's factory: one function per step, last step first, each calling the next by
 * name. A flatMap step hands its user function a collector whose collect is the next step.
 */
function runSource(run: Run): string {
  const names = run.steps.map((s, i) => `step${i}_${identifier(s.name)}`);
  const lines = ['"use strict";'];
  const exitCall = run.exit.kind === "process" ? "exit.process(r, input)" : "exit.collect(r)";
  lines.push(`function toExit(r) { ${exitCall}; }`);
  for (let i = run.steps.length - 1; i >= 0; i--) {
    const next = i + 1 < run.steps.length ? names[i + 1] : "toExit";
    lines.push(`const f${i} = fns[${i}];`);
    switch (run.steps[i].step.kind) {
      case "map":
        lines.push(`function ${names[i]}(r) { ${next}(f${i}(r)); }`);
        break;
      case "filter":
        lines.push(`function ${names[i]}(r) { if (f${i}(r)) ${next}(r); }`);
        break;
      case "flatMap":
        lines.push(`const c${i} = collectors[${i}];`, `c${i}.collect = ${next};`, `function ${names[i]}(r) { f${i}(r, c${i}); }`);
        break;
    }
  }
  lines.push(`return ${names[0]};`);
  return lines.join("\n");
}

/** An operator name as part of a function name: letters, digits and underscores only. */
function identifier(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 48);
}
