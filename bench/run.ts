// `npm run bench`: runs every benchmark case in its own Node process (a fresh V8 each, so one
// case's JIT state cannot slow another) and prints one JSON line per case on stdout. Progress
// goes to stderr. Each case measures its own baseline in the same run; see docs/benchmarks.md.
//
//   npm run bench                 all cases
//   npm run bench -- a c          only cases a and c
//   BENCH_SCALE=0.1 npm run bench a quick check of the harness (numbers are not meaningful)

import { join } from "node:path";
import { BENCH_DIR, jsonLines, lastJsonLine, runTsScript, type CaseResult } from "./report.ts";

interface BenchCase {
  id: string;
  title: string;
  script: string;
  /** Default 150 s. */
  timeoutMs?: number;
  /** Arguments of the case's script. */
  args?: string[];
  /** The case prints several result lines (one per query): all are reported, not only the last. */
  manyResults?: boolean;
}

const CASES: BenchCase[] = [
  { id: "a", title: "chained stateless pipeline, embedded", script: "chained-embedded.ts" },
  { id: "b", title: "keyBy shuffle over NATS, two worker processes", script: "shuffle-nats.ts" },
  { id: "c", title: "keyBy shuffle, embedded, parallelism 2", script: "shuffle-embedded.ts" },
  { id: "d", title: "sliding event-time window count over 10,000 keys, embedded", script: "sliding-window-embedded.ts" },
  { id: "e", title: "checkpoint duration with 1M keys of keyed state (heap, LMDB, LMDB incremental), embedded job", script: "checkpoint-duration-embedded.ts" },
  { id: "f", title: "checkpoint of 1M keys at the state-backend level: LMDB (and heap)", script: "checkpoint-backends.ts" },
  { id: "g", title: "keyed job throughput with checkpoints every second vs without, embedded", script: "checkpoint-throughput-embedded.ts" },
  { id: "h", title: "worker SIGKILL to the first completed checkpoint after recovery, NATS cluster", script: "checkpoint-recovery-nats.ts", args: ["--kills", "10"], timeoutMs: 900_000 },
  { id: "i", title: "bytes per key of ValueState<number> on the heap backend at 1M and 10M keys", script: "state-memory.ts", manyResults: true },
  { id: "j", title: "async I/O (orderedWait, unorderedWait) against a synchronous map, embedded", script: "async-io-embedded.ts" },
  { id: "nexmark", title: "Nexmark queries embedded at parallelism 1 and over NATS with two workers, beside the generator alone", script: "nexmark.ts", timeoutMs: 1_800_000, manyResults: true },
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((arg) => arg !== "--");
  const unknown = wanted.filter((id) => !CASES.some((c) => c.id === id));
  if (unknown.length > 0) throw new Error(`unknown case(s) ${unknown.join(", ")}; the cases are ${CASES.map((c) => c.id).join(", ")}`);
  const selected = wanted.length === 0 ? CASES : CASES.filter((c) => wanted.includes(c.id));
  const started = performance.now();
  let failures = 0;
  for (const benchCase of selected) {
    process.stderr.write(`bench (${benchCase.id}) ${benchCase.title}\n`);
    const caseStarted = performance.now();
    try {
      const stdout = await runTsScript(join(BENCH_DIR, "cases", benchCase.script), benchCase.args ?? [], { timeoutMs: benchCase.timeoutMs ?? 150_000, echoStderr: true });
      const results = benchCase.manyResults ? jsonLines<CaseResult>(stdout) : [lastJsonLine<CaseResult>(stdout)];
      for (const result of results) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        const verdict = result.target === null ? "(no target)" : `${result.ratio >= result.target ? "meets" : "misses"} target ${result.target}`;
        process.stderr.write(`  ${results.length > 1 ? `${result.case}: ` : ""}ratio ${result.ratio} ${verdict}\n`);
      }
      process.stderr.write(`  (${((performance.now() - caseStarted) / 1000).toFixed(1)} s)\n`);
    } catch (error) {
      failures += 1;
      process.stderr.write(`  failed: ${(error as Error).message.split("\n")[0]}\n`);
    }
  }
  process.stderr.write(`bench done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (failures > 0) process.exitCode = 1;
}

await main();
