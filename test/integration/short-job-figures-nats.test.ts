// A job shorter than the workers' figure interval (a second): 1,000 records through a sequence
// into a running count per key, on two worker processes. Its subtasks start and end between two
// reports, and each is reported once more as it ends: `weir info` shows exactly 1,000 records out
// of the source and 1,000 into the counter, the lines the sink wrote, and the ended tasks.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBus } from "../../src/bus/nats-bus.ts";
import { busClusterQueries } from "../../src/cluster/bus-cluster-queries.ts";
import type { JobDetails } from "../../src/observability/views.ts";
import { MetricRegistry, runWeir, silentLogger, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { waitFor } from "../fixtures/wait-for.ts";

const EVENTS = 1_000;

describe("the figures of a job shorter than a second", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-short-job-"));
  let client: NatsBus;
  const info = (jobId: string): Promise<JobDetails> => busClusterQueries(client).job(jobId);

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url));
    processes.push(...(await Promise.all(["short-a", "short-b"].map((id) => startWorkerProcess(server.url, 1, id)))));
    client = await NatsBus.connect({ servers: server.url, name: "short-job-test", log: silentLogger(), metrics: new MetricRegistry() });
  });

  afterAll(async () => {
    await client?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("are exact once it has finished: every record in and out, per vertex", async () => {
    const output = join(dir, "counts");
    const run = await runWeir(["run", "test/fixtures/jobs/tiny-bounded.ts", "--nats", server.url, "--", "--events", String(EVENTS), "--output", output]);
    expect(run.code).toBe(0);
    const jobId = /job ([0-9a-f]+) submitted/.exec(run.stderr)![1];
    const lines = readdirSync(output).reduce((sum, f) => sum + readFileSync(join(output, f), "utf8").split("\n").filter((l) => l.length > 0).length, 0);
    expect(lines).toBe(EVENTS);

    // The final reports cross the bus from the workers, the job's end from the job manager: either may come first.
    const job = await waitFor(
      async () => {
        const details = await info(jobId);
        const [source, counter] = details.plan.vertices;
        return details.status === "finished" && source.metrics.recordsOut === EVENTS && counter.metrics.recordsIn === EVENTS ? details : undefined;
      },
      "the final figures of every subtask",
      15_000,
    );
    expect(job.plan.vertices.map((v) => [v.name, v.parallelism, v.metrics.recordsIn, v.metrics.recordsOut])).toEqual([
      ["Sequence", 2, 0, EVENTS],
      ["KeyedProcess -> NdjsonFileSink", 2, EVENTS, 0],
    ]);
    // Each subtask reported its own final figures.
    for (const vertex of job.plan.vertices) for (const subtask of vertex.subtasks) expect([subtask.state, subtask.metrics === null]).toEqual(["finished", false]);
    expect(job.plan.vertices[0].subtasks.reduce((sum, s) => sum + s.metrics!.recordsOut, 0)).toBe(EVENTS);

    const text = await runWeir(["info", jobId, "--nats", server.url]);
    expect(text.stdout).toMatch(new RegExp(`\\nv1 +Sequence +2 +0/2 running, 2 finished +0 \\(0/s\\) +${EVENTS} \\(0/s\\) `));
    expect(text.stdout).toMatch(new RegExp(`\\nv2 +KeyedProcess -> NdjsonFileSink +2 +0/2 running, 2 finished +${EVENTS} \\(0/s\\) +0 \\(0/s\\) `));
  }, 60_000);
});
