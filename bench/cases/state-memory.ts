// Case (i): memory per key of keyed state on the heap backend. A fresh KeyedStateBackend holds one
// ValueState<number> for N keys (1M, then 10M); the heap grows by (heap after − heap before) / N
// bytes per key, measured after full garbage collections. Baseline, in the same process: a plain
// Map<number, number> with the same N entries, the least any keyed store on the heap can take.
// Target: at most 150 bytes per key. Runs itself again with --expose-gc and a large heap.
//
//   node --import tsx bench/cases/state-memory.ts [--keys N,M]

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { keyGroupRangeFor } from "../../src/core/key-groups.ts";
import { ValueStateDescriptor } from "../../src/state/keyed-state-backend.ts";
import { HeapKeyedStateBackend } from "../../src/state/heap-keyed-state-backend.ts";
import type { KeyedStateBackend } from "../../src/state/keyed-state-backend.ts";
import { caseResult } from "../report.ts";

const TARGET_BYTES_PER_KEY = 150;
const MAX_PARALLELISM = 128;

type Gc = () => void;

/** Heap used after full collections: what is still reachable. */
function settledHeap(gc: Gc): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function bytesPerKey(keys: number, gc: Gc, fill: (keys: number) => unknown): number {
  const before = settledHeap(gc);
  const held = fill(keys);
  const after = settledHeap(gc);
  if (held === undefined) throw new Error("nothing was held");
  return (after - before) / keys;
}

function fillMap(keys: number): Map<number, number> {
  const map = new Map<number, number>();
  for (let k = 0; k < keys; k++) map.set(k, k);
  return map;
}

function fillBackend(keys: number): KeyedStateBackend {
  const backend = new HeapKeyedStateBackend({ maxParallelism: MAX_PARALLELISM, keyGroupRange: keyGroupRangeFor(0, 1, MAX_PARALLELISM) });
  const state = backend.getState(new ValueStateDescriptor<number>("value", 0));
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(k);
    state.update(k);
  }
  return backend;
}

function measure(keyCounts: number[], gc: Gc): void {
  for (const keys of keyCounts) {
    const baseline = bytesPerKey(keys, gc, fillMap);
    const weir = bytesPerKey(keys, gc, fillBackend);
    process.stderr.write(`  ${keys} keys: Map ${baseline.toFixed(1)} B/key, heap backend ValueState<number> ${weir.toFixed(1)} B/key\n`);
    const mib = 1024 * 1024;
    const result = caseResult(
      {
        case: `i-heap-state-bytes-per-key-${keys}`,
        records: keys,
        weir_rps: mib / weir,
        baseline: "a plain Map<number, number> with the same keys",
        baseline_rps: mib / baseline,
        target: Math.round((baseline / TARGET_BYTES_PER_KEY) * 1000) / 1000,
      },
      { unit: "keys per MiB of heap (ratio = the Map's bytes per key / the backend's)", weir_bytes_per_key: Math.round(weir * 10) / 10, baseline_bytes_per_key: Math.round(baseline * 10) / 10, target_bytes_per_key: TARGET_BYTES_PER_KEY },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

const args = process.argv.slice(2).filter((a) => a !== "--");
const keysAt = args.indexOf("--keys");
const keyCounts = (keysAt >= 0 ? args[keysAt + 1] : "1000000,10000000").split(",").map(Number);
if (keyCounts.some((k) => !Number.isInteger(k) || k < 1000)) throw new Error(`--keys expects comma-separated key counts of at least 1000, got ${args[keysAt + 1]}`);
const gc = (globalThis as { gc?: Gc }).gc;
if (gc) measure(keyCounts, gc);
else {
  // Garbage collection on demand and room for 10M keys need flags of their own.
  const child = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=16384", "--import", "tsx", fileURLToPath(import.meta.url), "--keys", keyCounts.join(",")], { stdio: "inherit" });
  process.exitCode = child.status ?? 1;
}
