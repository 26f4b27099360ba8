// Credit-based flow control across processes: a slow sink on one worker slows the source on the
// other worker. No message is dropped, and the NATS server never reports a slow consumer.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";

const RECORDS = 40_000;

describe("backpressure from a slow sink", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url)];
    // One slot each: the source and sink subtask 0 share slot 0 on one worker; sink subtask 1 is on the other.
    processes.push(...(await Promise.all([startWorkerProcess(server.url, 1, "bp-a"), startWorkerProcess(server.url, 1, "bp-b")])));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("slows the source to the sink's pace without losing a record or a message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-bp-"));
    const result = await runWeir(["run", "test/fixtures/jobs/slow-sink.ts", "--nats", server.url, "--", "--dir", dir, "--records", String(RECORDS)]);
    expect(result.stderr).toContain("finished");
    const seen = JSON.parse(readFileSync(join(dir, "sink-result.json"), "utf8")) as { received: number; sum: number; maxLag: number };
    // Nothing lost or duplicated: the count and the sum of indices are exact.
    expect(seen.received).toBe(RECORDS);
    expect(seen.sum).toBe((RECORDS * (RECORDS - 1)) / 2);
    // The source never ran far ahead of the sink: what is in flight is bounded by the credits
    // (8 frames of ~150 records per channel, plus one waiting and one open frame), not by the input size.
    expect(seen.maxLag).toBeGreaterThan(0);
    expect(seen.maxLag).toBeLessThan(5_000);
    // The server cut no one off.
    const varz = await server.varz();
    expect(varz.slow_consumers).toBe(0);
    for (const p of processes) expect(p.logs()).not.toMatch(/slow consumer/i);
  });
});
