// What a benchmark case reports (one JSON line on stdout), and the small timing helpers the cases
// share. Every case measures weir and its baseline in the same run, interleaved, and reports the
// best round of each: on a noisy 2-core machine the best round is the least disturbed one.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The fields every case reports, in this order. */
export interface CaseFigures {
  case: string;
  records: number;
  weir_rps: number;
  baseline: string;
  baseline_rps: number;
  /** The ratio weir should reach; null where none was set (the checkpoint cases report figures). */
  target: number | null;
}

export interface CaseResult extends CaseFigures {
  ratio: number;
}

/**
 * Builds the result line: rates rounded to whole records/s, the ratio to three decimals, then
 * `extra` (every round's figure, data-plane timings, …).
 */
export function caseResult(figures: CaseFigures, extra: Record<string, unknown> = {}): CaseResult {
  const ratio = figures.baseline_rps > 0 ? figures.weir_rps / figures.baseline_rps : 0;
  return {
    case: figures.case,
    records: figures.records,
    weir_rps: Math.round(figures.weir_rps),
    baseline: figures.baseline,
    baseline_rps: Math.round(figures.baseline_rps),
    ratio: Math.round(ratio * 1000) / 1000,
    target: figures.target,
    ...extra,
  };
}

export function recordsPerSecond(records: number, ms: number): number {
  return ms > 0 ? (records * 1000) / ms : 0;
}

export function best(values: readonly number[]): number {
  return values.length === 0 ? 0 : Math.max(...values);
}

/** Rates in the "rounds" fields of a result: millions of records/s, two decimals. */
export function inMillions(values: readonly number[]): number[] {
  return values.map((v) => Math.round(v / 10_000) / 100);
}

/** Reads `--name value` style options from argv. */
export function numberOption(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} expects a number >= 0, got ${JSON.stringify(args[index + 1])}`);
  return value;
}

/** Scales record counts: BENCH_SCALE=0.1 for a quick check of the harness. Never below 10,000. */
export function scaled(records: number): number {
  const scale = Number(process.env.BENCH_SCALE ?? "1");
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  return Math.max(10_000, Math.round(records * scale));
}

export const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

/** Runs `node --import tsx <script> <args>` (a fresh V8) and returns its stdout; rejects on a non-zero exit. */
export function runTsScript(script: string, args: string[], options: { timeoutMs?: number; echoStderr?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echoStderr) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} ${args.join(" ")} exited with ${code ?? signal}:\n${stderr.slice(-4000)}`));
    });
  });
}

/** The last line of a child's stdout, parsed as JSON. */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** Every line of a child's stdout that is a JSON object, parsed. */
export function jsonLines<T>(stdout: string): T[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as T);
}
