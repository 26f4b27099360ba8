// Watermark alignment across workers: a fast and a slow source of one group run on two worker
// processes over a real NATS server; the coordinator in the job manager keeps the fast one within
// the drift of the slow one, which is held at event time 2,000 until the fast one got past the
// bound. Every fast record says how far ahead of the slow source it was read: never more than the
// drift plus one step (the record that crossed the bound). Every record arrives once.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { ALIGNED, type AlignedRecord } from "../fixtures/jobs/aligned-sources.ts";

const JOB = "test/fixtures/jobs/aligned-sources.ts";

describe("watermark alignment over NATS with a job manager and two worker processes", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url)];
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 1, "align-a"), startWorkerProcess(server.url, 1, "align-b")])));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("keeps the fast source within the drift of the slow one on another worker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-align-"));
    const output = join(dir, "records.ndjson");
    const result = await runWeir(["run", JOB, "--nats", server.url, "--", "--output", output, "--dir", dir]);
    expect(result.stderr).toContain("finished");
    expect(result.code).toBe(0);
    const records = readFileSync(output, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as AlignedRecord);
    const fast = records.filter((r) => r.side === "fast");
    expect(records).toHaveLength(2 * (ALIGNED.end / ALIGNED.step + 1));
    expect(new Set(records.map((r) => `${r.side}/${r.ts}`)).size).toBe(records.length);
    const maxLead = Math.max(...fast.filter((r) => r.ts > 0).map((r) => r.lead!));
    expect(maxLead).toBeLessThanOrEqual(ALIGNED.driftMs + ALIGNED.step);
    // Both workers ran a source.
    const [, a, b] = processes;
    expect(a.logs()).toMatch(/"subtask":\d/);
    expect(b.logs()).toMatch(/"subtask":\d/);
  });

  it("without alignment the fast source runs far ahead (the check above would fail)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-unaligned-"));
    const output = join(dir, "records.ndjson");
    const result = await runWeir(["run", JOB, "--nats", server.url, "--", "--output", output, "--dir", dir, "--unaligned"]);
    expect(result.code).toBe(0);
    const fast = readFileSync(output, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as AlignedRecord).filter((r) => r.side === "fast" && r.ts > 0);
    expect(Math.max(...fast.map((r) => r.lead!))).toBeGreaterThan(ALIGNED.driftMs + ALIGNED.step);
  });
});
