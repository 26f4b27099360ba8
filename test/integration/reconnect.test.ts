// Long-lived processes reconnect to NATS forever: after the server restarts, the same job
// manager and worker processes run a job to exact results.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { expectedWordCounts, finalCounts, generateText } from "../fixtures/word-count-expectation.ts";

describe("a NATS server restart", () => {
  let server: NatsServerHandle;
  let processes: WeirProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    processes = [await startJobManagerProcess(server.url), await startWorkerProcess(server.url, 2, "survivor")];
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
  });

  it("is survived by the job manager and the worker, which then run a job exactly", async () => {
    await server.restart();
    const waitForReconnect = (p: WeirProcess) =>
      new Promise<void>((resolve) => {
        const check = () => (p.logs().includes("reconnected to NATS") ? resolve() : setTimeout(check, 50));
        check();
      });
    await Promise.all(processes.map(waitForReconnect));

    const dir = mkdtempSync(join(tmpdir(), "weir-reconnect-"));
    const text = generateText(500, 3);
    writeFileSync(join(dir, "in.txt"), text);
    const result = await runWeir(["run", "examples/word-count.ts", "--nats", server.url, "--", "--input", join(dir, "in.txt"), "--output", join(dir, "out.ndjson")]);
    expect(result.code).toBe(0);
    expect(finalCounts(readFileSync(join(dir, "out.ndjson"), "utf8")).totals).toEqual(expectedWordCounts(text));
    for (const p of processes) expect(p.child.exitCode).toBeNull();
  });
});
