// The Nexmark queries over NATS: nats-server, `weir jobmanager` and two `weir worker --slots 1`
// processes; each query module (examples/nexmark/qN.ts) submitted with `weir run --nats` at
// parallelism 2, so every keyed edge crosses processes through NATS. A query's rate is its events /
// the job duration `weir run` reports (submission to finished, deployment included). The baseline,
// the generator alone (bench/jobs/nexmark-generator.ts), runs first and last.

import { join, resolve } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../../src/testing/nats-server.ts";
import { runWeir, startJobManagerProcess, startWorkerProcess, type WeirProcess } from "../../src/testing/processes.ts";
import { BENCH_DIR, recordsPerSecond } from "../report.ts";

const EXAMPLES = resolve(BENCH_DIR, "..", "examples", "nexmark");
const GENERATOR_JOB = join(BENCH_DIR, "jobs", "nexmark-generator.ts");

export interface NatsRate {
  query: string;
  events: number;
  rps: number;
  jobMs: number;
}

async function runJob(natsUrl: string, module: string, events: number): Promise<number> {
  const run = await runWeir(["run", module, "--nats", natsUrl, "--", "--events", String(events), "--parallelism", "2"], 600_000);
  const finished = /finished in (\d+) ms/.exec(run.stderr);
  if (run.code !== 0 || !finished) throw new Error(`weir run ${module} exited with ${run.code}:\n${run.stderr.slice(-4000)}`);
  return Number(finished[1]);
}

/** Runs the generator job, then every query, then the generator job again, on one cluster. */
export async function measureOverNats(queries: readonly { name: string; events: number }[], generatorEvents: number): Promise<{ generator: NatsRate[]; queries: NatsRate[] }> {
  let server: NatsServerHandle | undefined;
  const processes: WeirProcess[] = [];
  try {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url));
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 1, "nexmark-w1"), startWorkerProcess(server.url, 1, "nexmark-w2")])));
    const url = server.url;
    await runJob(url, GENERATOR_JOB, Math.round(generatorEvents / 10)); // warm-up: loads the modules, JITs the workers
    const generatorRun = async (): Promise<NatsRate> => {
      const jobMs = await runJob(url, GENERATOR_JOB, generatorEvents);
      return { query: "generator", events: generatorEvents, rps: recordsPerSecond(generatorEvents, jobMs), jobMs };
    };
    const generator = [await generatorRun()];
    process.stderr.write(`  over NATS, generator: ${Math.round(generator[0].rps)} events/s\n`);
    const rates: NatsRate[] = [];
    for (const q of queries) {
      const jobMs = await runJob(url, join(EXAMPLES, `${q.name}.ts`), q.events);
      rates.push({ query: q.name, events: q.events, rps: recordsPerSecond(q.events, jobMs), jobMs });
      process.stderr.write(`  over NATS, ${q.name}: ${Math.round(rates[rates.length - 1].rps)} events/s (job ${jobMs} ms)\n`);
    }
    generator.push(await generatorRun());
    process.stderr.write(`  over NATS, generator again: ${Math.round(generator[1].rps)} events/s\n`);
    return { generator, queries: rates };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  }
}
