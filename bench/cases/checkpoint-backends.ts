// Case (f): checkpointing 1M keys at the state-backend level, no job, to see where the time goes:
// the LMDB backend (src/state/lmdb) and, measured the same way, the heap backend. Each round fills
// a fresh backend with 1M keys of ValueState<number>, then times the steps a subtask takes at a
// checkpoint: snapshot() (per-key-group plain data), the subtask snapshot encoding
// (encodeSubtaskSnapshot; the same snapshot with a plain Packr is timed too), and writing the
// bytes to a file with fsync. For LMDB it also times incremental snapshots (the first one, full,
// then one after 1% of the keys changed), which jobs take with setStateBackend("lmdb", dir,
// { incremental: true }) (see case e). Baseline, in the same rounds: raw msgpackr pack() of a
// plain Map with the same entries, then the same write.
//
//   node --import tsx bench/cases/checkpoint-backends.ts [--keys N] [--rounds R] [--lmdb-rounds R]

import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Packr } from "msgpackr";
import { ValueStateDescriptor } from "../../src/state/keyed-state-backend.ts";
import { HeapKeyedStateBackend } from "../../src/state/heap-keyed-state-backend.ts";
import type { KeyedStateBackend } from "../../src/state/keyed-state-backend.ts";
import { LmdbKeyedStateBackend } from "../../src/state/lmdb/index.ts";
import type { KeyGroupStateSnapshot } from "../../src/state/key-group-snapshots.ts";
import { encodeSubtaskSnapshot, SUBTASK_SNAPSHOT_FORMAT, type SubtaskSnapshot } from "../../src/state/operator-snapshot.ts";
import { caseResult, numberOption, recordsPerSecond, scaled } from "../report.ts";

const round1 = (n: number) => Math.round(n * 10) / 10;
const min = (values: number[]) => Math.min(...values);

/** Writes `bytes` to a new file and fsyncs it, as the file checkpoint storage does (without its rename and digest). */
async function writeDurably(path: string, bytes: Uint8Array): Promise<number> {
  const started = performance.now();
  const file = await open(path, "wx");
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  return performance.now() - started;
}

interface Timing {
  fillMs: number;
  snapshotMs: number;
  encodeMs: number;
  writeMs: number;
  bytes: number;
  /** Encoding the same snapshot with a plain Packr (no structuredClone): what that option costs. */
  plainEncodeMs: number;
}

type Backend = KeyedStateBackend | LmdbKeyedStateBackend;

function fill(backend: Backend, keys: number): number {
  const count = backend.getState(new ValueStateDescriptor<number>("count", 0));
  const started = performance.now();
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(k);
    count.update(1 + (k % 7));
  }
  return performance.now() - started;
}

async function checkpointOf(backend: Backend, fillMs: number, path: string): Promise<Timing> {
  let started = performance.now();
  const keyed: KeyGroupStateSnapshot[] = backend.snapshot();
  const snapshotMs = performance.now() - started;
  const subtaskSnapshot: SubtaskSnapshot = { format: SUBTASK_SNAPSHOT_FORMAT, operators: [{ uid: "count-per-key", keyed }] };
  started = performance.now();
  const bytes = encodeSubtaskSnapshot(subtaskSnapshot);
  const encodeMs = performance.now() - started;
  const writeMs = await writeDurably(path, bytes);
  started = performance.now();
  new Packr({ useRecords: false }).pack(subtaskSnapshot);
  const plainEncodeMs = performance.now() - started;
  return { fillMs, snapshotMs, encodeMs, writeMs, bytes: bytes.length, plainEncodeMs };
}

async function heapRound(keys: number, dir: string, round: number): Promise<Timing> {
  const backend = new HeapKeyedStateBackend({ maxParallelism: 128 });
  return checkpointOf(backend, fill(backend, keys), join(dir, `heap-${round}.chk`));
}

interface LmdbTiming extends Timing {
  /** The first incremental snapshot (full: nothing confirmed yet). */
  firstIncrementalMs: number;
  /** After 1% of the keys changed: the delta (includes committing the buffered writes) and its encoding. */
  deltaMs: number;
  deltaEncodeMs: number;
  deltaBytes: number;
}

async function lmdbRound(keys: number, dir: string, round: number): Promise<LmdbTiming> {
  const backend = new LmdbKeyedStateBackend({ maxParallelism: 128, directory: join(dir, `lmdb-${round}`) });
  try {
    const full = await checkpointOf(backend, fill(backend, keys), join(dir, `lmdb-${round}.chk`));
    let started = performance.now();
    backend.snapshotIncremental(1);
    const firstIncrementalMs = performance.now() - started;
    backend.notifyCheckpointComplete(1);
    const count = backend.getState(new ValueStateDescriptor<number>("count", 0));
    for (let k = 0; k < keys; k += 100) {
      backend.setCurrentKey(k);
      count.update(count.value()! + 1);
    }
    started = performance.now();
    const delta = backend.snapshotIncremental(2);
    const deltaMs = performance.now() - started;
    started = performance.now();
    const deltaBytes = encodeSubtaskSnapshot({ format: SUBTASK_SNAPSHOT_FORMAT, operators: [{ uid: "count-per-key", splits: [delta] }] });
    const deltaEncodeMs = performance.now() - started;
    return { ...full, firstIncrementalMs, deltaMs, deltaEncodeMs, deltaBytes: deltaBytes.length };
  } finally {
    await backend.dispose();
  }
}

async function baselineRound(keys: number, dir: string, round: number): Promise<{ encodeMs: number; writeMs: number; bytes: number }> {
  const map = new Map<number, number>();
  for (let k = 0; k < keys; k++) map.set(k, 1 + (k % 7));
  const started = performance.now();
  const bytes = new Packr().pack(map);
  const encodeMs = performance.now() - started;
  return { encodeMs, writeMs: await writeDurably(join(dir, `baseline-${round}.msgpack`), bytes), bytes: bytes.length };
}

function summary(timings: Timing[]) {
  return {
    fill_ms: round1(min(timings.map((t) => t.fillMs))),
    snapshot_ms: round1(min(timings.map((t) => t.snapshotMs))),
    encode_ms: round1(min(timings.map((t) => t.encodeMs))),
    write_ms: round1(min(timings.map((t) => t.writeMs))),
    plain_encode_ms: round1(min(timings.map((t) => t.plainEncodeMs))),
    total_ms: round1(min(timings.map((t) => t.snapshotMs + t.encodeMs + t.writeMs))),
    bytes: timings[0].bytes,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const keys = scaled(numberOption(args, "keys", 1_000_000));
  const rounds = numberOption(args, "rounds", 3);
  const lmdbRounds = numberOption(args, "lmdb-rounds", 2);
  const dir = mkdtempSync(join(tmpdir(), "weir-bench-f-"));
  try {
    const baseline: { encodeMs: number; writeMs: number; bytes: number }[] = [];
    const heap: Timing[] = [];
    const lmdb: LmdbTiming[] = [];
    for (let round = 0; round < rounds; round++) {
      baseline.push(await baselineRound(keys, dir, round));
      heap.push(await heapRound(keys, dir, round));
      if (round < lmdbRounds) lmdb.push(await lmdbRound(keys, dir, round));
      const b = baseline[round];
      const h = heap[round];
      process.stderr.write(`  round ${round + 1}: baseline encode ${round1(b.encodeMs)} + write ${round1(b.writeMs)} ms; heap snapshot ${round1(h.snapshotMs)} + encode ${round1(h.encodeMs)} + write ${round1(h.writeMs)} ms`);
      const l = lmdb[round];
      if (l) process.stderr.write(`; lmdb fill ${round1(l.fillMs)}, snapshot ${round1(l.snapshotMs)} + encode ${round1(l.encodeMs)} + write ${round1(l.writeMs)} ms, 1% delta ${round1(l.deltaMs)} ms`);
      process.stderr.write("\n");
    }
    const baselineMs = min(baseline.map((b) => b.encodeMs + b.writeMs));
    const lmdbSummary = summary(lmdb);
    const result = caseResult(
      {
        case: "f-checkpoint-1m-keys-lmdb-backend-direct",
        records: keys,
        weir_rps: recordsPerSecond(keys, lmdbSummary.total_ms),
        baseline: "raw msgpackr pack() of a plain Map with the same number of number→number entries, then write + fsync of those bytes to a file",
        baseline_rps: recordsPerSecond(keys, baselineMs),
        target: null,
      },
      {
        unit: "keys/s (keys / ms of snapshot() + encodeSubtaskSnapshot + write+fsync; backend level, not in a job)",
        rounds,
        lmdb_rounds: lmdbRounds,
        baseline_ms: round1(baselineMs),
        baseline_encode_ms: round1(min(baseline.map((b) => b.encodeMs))),
        baseline_write_ms: round1(min(baseline.map((b) => b.writeMs))),
        baseline_bytes: baseline[0].bytes,
        lmdb: {
          ...lmdbSummary,
          first_incremental_ms: round1(min(lmdb.map((t) => t.firstIncrementalMs))),
          delta_1pct_ms: round1(min(lmdb.map((t) => t.deltaMs))),
          delta_1pct_encode_ms: round1(min(lmdb.map((t) => t.deltaEncodeMs))),
          delta_1pct_bytes: lmdb[0].deltaBytes,
        },
        heap: { ...summary(heap), ratio: Math.round((baselineMs / summary(heap).total_ms) * 1000) / 1000 },
      },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
