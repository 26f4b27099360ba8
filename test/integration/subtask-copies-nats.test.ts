// On a worker process running two subtasks of the same operator, each subtask has its own copy of
// the user function: the shared-fields repro over real NATS.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";

describe("per-subtask copies on a worker process", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-copies-"));

  beforeAll(async () => {
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url), await startWorkerProcess(server.url, 2, "only-worker")];
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("two subtasks of one sink on one worker each keep only their own records", async () => {
    const result = await runWeir(["run", "test/fixtures/jobs/shared-fields.ts", "--nats", server.url, "--", "--out", dir]);
    expect(result.stderr).toContain("finished");
    expect(result.code).toBe(0);
    const reports = [0, 1].map((sub) => JSON.parse(readFileSync(join(dir, `shared-${sub}.json`), "utf8")) as { sub: number; arrayLen: number; n: number });
    for (const r of reports) expect(r.arrayLen).toBe(r.n);
    expect(reports[0].n + reports[1].n).toBe(1000);
  });
});
