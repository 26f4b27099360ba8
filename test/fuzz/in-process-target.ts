// Fuzz targets 2 and 3, in one process: the real actors (dispatcher, resource manager, worker, job
// master, checkpoint coordinator, subtasks, job client) on the embedded cluster's bus, with a
// checkpointed keyed job running. Fuzzed messages go to every subject the actors serve ("actors"),
// or only to the running job's frame and credit channels ("data-plane"); subjects of the data
// plane are learned by listening, as an intruder would. Jobs run one after another until all
// messages are sent; each must produce exactly its expected sums.

import { StreamExecutionEnvironment } from "../../src/cluster/environment.ts";
import { MiniCluster } from "../../src/cluster/mini-cluster.ts";
import { buildJobGraph } from "../../src/graph/job-graph.ts";
import { HANDLER_EXCEPTIONS_METRIC } from "../../src/bus/handler-guard.ts";
import { MetricRegistry } from "../../src/observability/metrics.ts";
import { CaseSource } from "./case-source.ts";
import { byLabel, watchCrashes, type FuzzReport } from "./report.ts";
import { clusterSubjects, isDataSubject, jobSubjects, subjectKind } from "./subject-endpoints.ts";

export interface InProcessFuzzOptions {
  mode: "actors" | "data-plane";
  seed: number;
  messages: number;
  /** Records per job, and how fast its sources emit them (the job should outlast many batches). */
  recordsPerJob?: number;
  ratePerSecond?: number;
}

const KEYS = 7;

/** The job every target runs: a checkpointed keyed running sum at parallelism 2, over two network edges. */
function keyedSumJob(records: number, ratePerSecond: number, sink: (value: { k: number; s: number }) => void) {
  const env = new StreamExecutionEnvironment({ parallelism: 2 }).enableCheckpointing(50).setBufferTimeout(5);
  env
    .fromGenerator((i) => ({ k: i % KEYS, s: i }), { count: records, ratePerSecond })
    .rebalance()
    .keyBy((r) => r.k)
    .reduce((a, b) => ({ k: a.k, s: a.s + b.s }))
    .addSink(sink);
  return { jobGraph: buildJobGraph(env.graph, env.jobConfig("fuzzed keyed sum")), streamGraph: env.graph, collectors: new Map() };
}

function expectedSums(records: number): number[] {
  const sums = new Array<number>(KEYS).fill(0);
  for (let i = 0; i < records; i++) sums[i % KEYS] += i;
  return sums;
}

/** Runs one target; resolves with its report (crashes and exactness included, never throws for them). */
export async function fuzzInProcess(options: InProcessFuzzOptions): Promise<FuzzReport & { endpointsRejecting: string[]; subjectKinds: string[]; firstErrors: string[] }> {
  const { mode, seed, messages } = options;
  const records = options.recordsPerJob ?? 3000;
  const rate = options.ratePerSecond ?? 3000;
  const started = performance.now();
  const crashes = watchCrashes();
  const metrics = new MetricRegistry();
  const cluster = new MiniCluster({ slots: 4, metrics });
  const source = new CaseSource(seed);
  const seen = new Set<string>();
  const tap = cluster.bus.subscribe("weir.>", (_data, subject) => seen.add(subject));
  const firstErrors: string[] = [];
  const subjectKinds = new Set<string>();
  let sent = 0;
  let jobs = 0;
  let exact = true;
  try {
    while (sent < messages) {
      const finals = new Array<number>(KEYS).fill(0);
      let outputs = 0;
      const client = await cluster.submit(
        keyedSumJob(records, rate, (r) => {
          outputs += 1;
          finals[r.k] = Math.max(finals[r.k], r.s);
        }),
      );
      jobs += 1;
      let ended = false;
      const result = client.result.then(
        () => undefined,
        (error: unknown) => String(error),
      ).finally(() => (ended = true));
      const fixed = mode === "actors" ? [...clusterSubjects(["embedded-worker"]), ...jobSubjects(client.jobId)] : [];
      while (!ended && sent < messages) {
        const subjects = [...fixed, ...[...seen].filter((s) => isDataSubject(s, client.jobId))];
        if (subjects.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        for (let i = 0; i < 100 && sent < messages; i++, sent++) {
          const c = source.next(subjects);
          cluster.bus.publish(c.subject, c.bytes);
          subjectKinds.add(subjectKind(c.subject));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const failure = await result;
      const right = failure === undefined && outputs === records && finals.every((s, k) => s === expectedSums(records)[k]);
      if (!right && firstErrors.length < 5) firstErrors.push(failure ?? `outputs ${outputs}/${records}, sums ${finals.join(",")} (expected ${expectedSums(records).join(",")})`);
      exact &&= right;
      for (const s of [...seen]) if (!isDataSubject(s, client.jobId)) seen.delete(s);
    }
  } finally {
    tap.unsubscribe();
    await cluster.close();
    // Let anything a fuzzed message set off surface before the crash watch stops.
    await new Promise((resolve) => setTimeout(resolve, 50));
    crashes.stop();
  }
  const snapshot = metrics.snapshot();
  const endpoints = byLabel(snapshot, "weir_rejected_messages_total", "endpoint");
  return {
    target: mode === "actors" ? "in-process-actors" : "data-plane",
    seed,
    messages: sent,
    skippedValid: source.skippedValid,
    rejectedByReason: byLabel(snapshot, "weir_rejected_messages_total", "reason"),
    handlerExceptions: metrics.sum(HANDLER_EXCEPTIONS_METRIC),
    crashes: crashes.count(),
    outputExact: exact,
    jobs,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    subjectKinds: [...subjectKinds].sort(),
    endpointsRejecting: [...new Set(Object.keys(endpoints).map((e) => e.split(" ")[0]))].sort(),
    firstErrors: [...firstErrors, ...crashes.errors.map(String)],
  };
}
