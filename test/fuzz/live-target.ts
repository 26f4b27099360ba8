// Fuzz target 4: a live cluster over real NATS — a `weir jobmanager` and a `weir worker` process —
// while `weir run` runs word count jobs one after another. A plain nats.js client (no weir code)
// listens on `weir.>` to learn the running job's subjects, as an intruder could, and publishes
// fuzzed messages on every subject the processes serve: the cluster's, the job's, and its frame
// and credit channels. Each job's counts must be exact, and both processes alive at the end.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { decode } from "../../src/messages/codec.ts";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess } from "../../src/testing/index.ts";
import { expectedWordCounts, finalCounts, generateText } from "../fixtures/word-count-expectation.ts";
import { CaseSource } from "./case-source.ts";
import type { FuzzReport } from "./report.ts";
import { clusterSubjects, expectedTypes, isDataSubject, jobSubjects, subjectKind } from "./subject-endpoints.ts";

export interface LiveFuzzOptions {
  seed: number;
  messages: number;
  /** Lines of text per word count job (more: each job runs longer). */
  linesPerJob?: number;
}

const WORKER_ID = "w-fuzz";
/** The server refuses payloads over its max_payload (1 MiB) before any weir process sees them. */
const SERVER_MAX_PAYLOAD = 1024 * 1024;

export async function fuzzLiveCluster(options: LiveFuzzOptions): Promise<FuzzReport & { rejectionKindsLogged: number; subjectKinds: string[]; firstErrors: string[] }> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "weir-fuzz-live-"));
  const server = await startNatsServer();
  const processes = [await startJobManagerProcess(server.url), await startWorkerProcess(server.url, 2, WORKER_ID)];
  const stranger = await connect({ servers: server.url, name: "fuzzer" });
  const seen = new Set<string>();
  stranger.subscribe("weir.>", { callback: (_error, msg) => void seen.add(msg.subject) });
  const source = new CaseSource(options.seed);
  const rejectedByReason: Record<string, number> = {};
  const firstErrors: string[] = [];
  const text = generateText(options.linesPerJob ?? 3000);
  const input = join(dir, "input.txt");
  writeFileSync(input, text);
  const expected = expectedWordCounts(text);
  const subjectKinds = new Set<string>();
  let sent = 0;
  let jobs = 0;
  let exact = true;
  try {
    while (sent < options.messages) {
      const output = join(dir, `counts-${jobs}.ndjson`);
      seen.clear();
      let ended = false;
      const run = runWeir(["run", "examples/word-count.ts", "--nats", server.url, "--", "--input", input, "--output", output], 600_000).finally(() => (ended = true));
      jobs += 1;
      while (!ended && sent < options.messages) {
        const jobIds = new Set([...seen].map((s) => /^weir\.job\.([^.]+)\./.exec(s)?.[1]).filter((id): id is string => id !== undefined));
        const dataSubjects = [...seen].filter((s) => [...jobIds].some((id) => isDataSubject(s, id)));
        // The fuzzing starts once the job's data flows, so that every message lands while it runs.
        if (dataSubjects.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        const subjects = [...clusterSubjects([WORKER_ID]), ...[...jobIds].flatMap(jobSubjects), ...dataSubjects];
        for (let i = 0; i < 200 && sent < options.messages; i++) {
          const c = source.next(subjects);
          if (c.bytes.length > SERVER_MAX_PAYLOAD) continue;
          stranger.publish(c.subject, c.bytes);
          subjectKinds.add(subjectKind(c.subject));
          sent += 1;
          const outcome = decode(c.bytes, expectedTypes(c.subject));
          if (!outcome.ok) rejectedByReason[outcome.reason] = (rejectedByReason[outcome.reason] ?? 0) + 1;
        }
        await stranger.flush();
      }
      const result = await run;
      let right = result.code === 0;
      if (right) {
        const { totals } = finalCounts(readFileSync(output, "utf8"));
        right = totals.size === expected.size && [...expected].every(([word, count]) => totals.get(word) === count);
      }
      if (!right && firstErrors.length < 5) firstErrors.push(`job ${jobs}: exit ${result.code}: ${result.stderr.slice(-1500)}`);
      exact &&= right;
      rmSync(output, { force: true });
    }
  } finally {
    await stranger.close();
  }
  const dead = processes.filter((p) => p.child.exitCode !== null || p.child.signalCode !== null);
  for (const p of dead) firstErrors.push(`a process died: ${p.logs().slice(-2000)}`);
  const logs = processes.map((p) => p.logs()).join("\n");
  await Promise.all(processes.map((p) => p.stop()));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    target: "live-cluster",
    seed: options.seed,
    messages: sent,
    skippedValid: source.skippedValid,
    rejectedByReason,
    handlerExceptions: logs.split("a bus handler threw").length - 1,
    crashes: dead.length,
    outputExact: exact,
    jobs,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    rejectionKindsLogged: logs.split("rejected a bus message").length - 1,
    subjectKinds: [...subjectKinds].sort(),
    firstErrors,
  };
}
