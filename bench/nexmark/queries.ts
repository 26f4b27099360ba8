// The Nexmark queries the benchmark runs, their event counts (sized so a round takes a few seconds
// here) and Flink's published per-core throughput (Nexmark V2 runner, Flink 2.0) beside which
// docs/benchmarks.md puts them.

import type { DataStream } from "../../src/index.ts";
import type { NexmarkEvent } from "../../src/nexmark/index.ts";
import type { Query } from "../../examples/nexmark/common.ts";
import { q0 } from "../../examples/nexmark/q0.ts";
import { q1 } from "../../examples/nexmark/q1.ts";
import { q2 } from "../../examples/nexmark/q2.ts";
import { q3 } from "../../examples/nexmark/q3.ts";
import { q4 } from "../../examples/nexmark/q4.ts";
import { q5 } from "../../examples/nexmark/q5.ts";
import { q7 } from "../../examples/nexmark/q7.ts";
import { q8 } from "../../examples/nexmark/q8.ts";
import { q9 } from "../../examples/nexmark/q9.ts";
import { q11 } from "../../examples/nexmark/q11.ts";
import { q12 } from "../../examples/nexmark/q12.ts";

export interface BenchQuery {
  name: string;
  /** Builds the query on the events with a sink that discards its rows. */
  build: (events: DataStream<NexmarkEvent>) => void;
  /** Events per round at BENCH_SCALE=1. */
  events: number;
  /** Flink 2.0's events/s per core; undefined where none is published (q9). */
  flinkPerCore: number | undefined;
}

function discarding<R>(query: Query<R>): (events: DataStream<NexmarkEvent>) => void {
  return (events) => {
    query(events).addSink(() => undefined);
  };
}

export const QUERIES: readonly BenchQuery[] = [
  { name: "q0", build: discarding(q0), events: 2_000_000, flinkPerCore: 379_000 },
  { name: "q1", build: discarding(q1), events: 2_000_000, flinkPerCore: 395_000 },
  { name: "q2", build: discarding(q2), events: 2_000_000, flinkPerCore: 414_000 },
  { name: "q3", build: discarding(q3), events: 1_000_000, flinkPerCore: 219_000 },
  { name: "q4", build: discarding(q4), events: 400_000, flinkPerCore: 28_000 },
  { name: "q5", build: discarding(q5), events: 400_000, flinkPerCore: 74_500 },
  { name: "q7", build: discarding(q7), events: 400_000, flinkPerCore: 22_900 },
  { name: "q8", build: discarding(q8), events: 1_000_000, flinkPerCore: 162_000 },
  { name: "q9", build: discarding(q9), events: 400_000, flinkPerCore: undefined },
  { name: "q11", build: discarding(q11), events: 300_000, flinkPerCore: 46_000 },
  { name: "q12", build: discarding(q12), events: 500_000, flinkPerCore: 194_000 },
];

export function benchQuery(name: string): BenchQuery {
  const found = QUERIES.find((q) => q.name === name);
  if (found === undefined) throw new Error(`unknown query ${name}; the queries are ${QUERIES.map((q) => q.name).join(", ")}`);
  return found;
}
