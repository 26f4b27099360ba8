// The keyed job of the checkpoint cases (e, g, h): a parallel generator of keys (record i is the
// key i % --keys) → keyBy(key) → a count per key in ValueState<number> → a sink that discards.
// After --keys records every key has state, so the keyed state holds exactly --keys entries.
// Optional: bounded (--count), rate-limited (--rate, records/s for the whole source),
// checkpointed (--checkpoint-ms, to --storage), and with the LMDB state backend (--state-dir
// <absolute dir>; heap when absent), optionally with incremental checkpoints (--incremental).
// Embedded, `keyedCountProgress` lets the case
// see how far the job got (it is per process: on a cluster each worker has its own).
//
//   weir run bench/jobs/keyed-count.ts --nats <url> -- --keys 1000000 --rate 500000 --checkpoint-ms 1000 --storage file:///tmp/chk

import { parseArgs } from "node:util";
import { defineJob, KeyedProcessFunction, ValueStateDescriptor, type Collector, type KeyedProcessContext, type ValueState } from "../../src/index.ts";

/** What the job did so far, in this process (embedded: the whole job). */
export const keyedCountProgress = { distinctKeys: 0, sunk: 0 };

/** Counts records per key in ValueState and emits the new count. */
class CountPerKey extends KeyedProcessFunction<number, number, number> {
  private count!: ValueState<number>;

  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>("count", 0));
  }

  processElement(_key: number, _ctx: KeyedProcessContext<number>, out: Collector<number>): void {
    const next = this.count.value()! + 1;
    if (next === 1) keyedCountProgress.distinctKeys++;
    this.count.update(next);
    out.collect(next);
  }
}

export interface KeyedCountOptions {
  keys: number;
  count?: number;
  rate?: number;
  parallelism: number;
  checkpointMs: number;
  storage?: string;
  /** Keyed state in LMDB under this absolute directory; heap when absent. */
  stateDir?: string;
  /** With stateDir: incremental checkpoints (only what changed since the previous one). */
  incremental?: boolean;
}

export function parseKeyedCountArgs(args: string[]): KeyedCountOptions {
  const { values } = parseArgs({
    args,
    options: {
      keys: { type: "string" },
      count: { type: "string" },
      rate: { type: "string" },
      parallelism: { type: "string" },
      "checkpoint-ms": { type: "string" },
      storage: { type: "string" },
      "state-dir": { type: "string" },
      incremental: { type: "boolean" },
    },
  });
  const positive = (name: string, text: string | undefined, fallback: number | undefined): number | undefined => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new Error(`--${name} expects an integer >= 0, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    keys: positive("keys", values.keys, 1_000_000)!,
    count: positive("count", values.count, undefined),
    rate: positive("rate", values.rate, undefined),
    parallelism: positive("parallelism", values.parallelism, 2)!,
    checkpointMs: positive("checkpoint-ms", values["checkpoint-ms"], 0)!,
    storage: values.storage,
    stateDir: values["state-dir"],
    incremental: values.incremental,
  };
}

/** The job's arguments for `weir run` / a module artifact, from options. */
export function keyedCountArgs(options: KeyedCountOptions): string[] {
  const args = ["--keys", String(options.keys), "--parallelism", String(options.parallelism), "--checkpoint-ms", String(options.checkpointMs)];
  if (options.count !== undefined) args.push("--count", String(options.count));
  if (options.rate !== undefined) args.push("--rate", String(options.rate));
  if (options.storage !== undefined) args.push("--storage", options.storage);
  if (options.stateDir !== undefined) args.push("--state-dir", options.stateDir);
  if (options.incremental) args.push("--incremental");
  return args;
}

export default defineJob((env, args) => {
  const options = parseKeyedCountArgs(args);
  const keys = options.keys;
  env.setParallelism(options.parallelism);
  if (options.stateDir !== undefined) env.setStateBackend("lmdb", options.stateDir, { incremental: options.incremental });
  if (options.checkpointMs > 0) {
    env.enableCheckpointing(options.checkpointMs);
    if (options.storage) env.getCheckpointConfig().setCheckpointStorage(options.storage);
  }
  env
    .fromGenerator((i) => i % keys, { count: options.count, ratePerSecond: options.rate })
    .name("keys")
    .keyBy((key) => key)
    .process(new CountPerKey())
    .name("count-per-key")
    .uid("count-per-key")
    .addSink(() => {
      keyedCountProgress.sunk++;
    })
    .name("discard");
});
