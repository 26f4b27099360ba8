// Failures a user meets on a cluster: a worker that dies, a job canceled from the command line,
// a job that needs more slots than there are. Each ends the job with a clear status and message.

import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";

/** Starts `weir run` in the background; resolves its job id once accepted, and `running` once all its subtasks run. */
function startRun(args: string[]) {
  const child = spawn(process.execPath, ["bin/weir.mjs", "run", ...args, "--log-level", "info"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const jobId = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"jobId":"([0-9a-f]+)","msg":"job accepted"/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.once("exit", () => reject(new Error(`weir run ended before the job was accepted:\n${stderr}`)));
  });
  const running = new Promise<void>((resolve, reject) => {
    child.stderr.on("data", () => {
      if (/"status":"running","msg":"job status"/.test(stderr)) resolve();
    });
    child.once("exit", () => reject(new Error(`weir run ended before the job was running:\n${stderr}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { jobId, running, exit, stderr: () => stderr };
}

describe("failures on a cluster", () => {
  let server: NatsServerHandle;
  let jobManager: WeirProcess;
  const workers: WeirProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    jobManager = await startJobManagerProcess(server.url, ["--heartbeat-timeout", "4000", "--slot-timeout", "1500"]);
  });

  afterAll(async () => {
    await Promise.all([jobManager, ...workers].map((p) => p.stop()));
    await server?.stop();
  });

  it("fails a job whose worker is killed, naming the lost worker", async () => {
    const a = await startWorkerProcess(server.url, 1, "doomed-a");
    const b = await startWorkerProcess(server.url, 1, "doomed-b");
    workers.push(a, b);
    const run = startRun(["test/fixtures/jobs/endless.ts", "--nats", server.url]);
    await run.running;
    await b.stop("SIGKILL");
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/failed: worker doomed-b was lost/);
    await a.stop();
  });

  it("fails a job at once when one of its workers is stopped with SIGTERM", async () => {
    const a = await startWorkerProcess(server.url, 1, "leaving-a");
    const b = await startWorkerProcess(server.url, 1, "leaving-b");
    workers.push(a, b);
    const run = startRun(["test/fixtures/jobs/endless.ts", "--nats", server.url]);
    await run.running;
    expect(await b.stop("SIGTERM")).toBe(0);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/failed: task "[^"]+"\[\d\] \(v\d+\) was canceled by its worker/);
    await a.stop();
  });

  it("cancels a running job with `weir cancel`", async () => {
    workers.push(await startWorkerProcess(server.url, 2, "steady"));
    const run = startRun(["test/fixtures/jobs/endless.ts", "--nats", server.url]);
    const jobId = await run.jobId;
    await run.running;
    const cancel = await runWeir(["cancel", jobId, "--nats", server.url]);
    expect(cancel.code).toBe(0);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain(`job ${jobId} canceled`);
    // Canceling was asked for: no task is blamed.
    expect(run.stderr()).not.toContain("canceled by its worker");
  });

  it("fails a job that needs more slots than the cluster has, saying what to change", async () => {
    const result = await runWeir(["run", "test/fixtures/jobs/endless.ts", "--nats", server.url, "--parallelism", "8"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/needs 8 slots, found \d+ free .*start more workers .* or lower the parallelism/);
  });
});
