// `weir run --nats` as a person uses it, against a real nats-server, job manager and worker:
// no job manager is said plainly, an attached run prints status lines, Ctrl-C leaves the job
// running on the cluster (exit 130), and --detached prints the job id and exits.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobSummary } from "../../src/observability/views.ts";
import { runWeir, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import { waitFor } from "../fixtures/wait-for.ts";

const JOB = "test/fixtures/jobs/checkpointed-counts.ts";

describe("weir run with no job manager", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("says so when no job manager answers the submission", async () => {
    const result = await runWeir(["run", JOB, "--nats", server.url, "--", "--events", "10", "--output", join(tmpdir(), "weir-none")]);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `weir: no job manager answered on ${server.url}: start one with \`weir jobmanager --nats ${server.url}\`\n` });
  }, 60_000);
});

describe("weir run against a cluster", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-run-attached-"));

  const jobs = async (): Promise<JobSummary[]> => JSON.parse((await runWeir(["list", "--json", "--nats", server.url])).stdout) as JobSummary[];

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url));
    processes.push(await startWorkerProcess(server.url, 4, "attached-a"));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints a status line every second with --progress-interval 1, and on Ctrl-C leaves the job running", async () => {
    const child = spawn(process.execPath, ["bin/weir.mjs", "run", JOB, "--nats", server.url, "--progress-interval", "1", "-p", "2", "--", "--events", "1000000", "--rate", "500", "--output", join(dir, "counts")], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const jobId = await waitFor(() => /^job ([0-9a-f]{16}) submitted$/m.exec(stderr)?.[1], "the job to be submitted");
    const status = new RegExp(String.raw`^job ${jobId} running: in \d+(\.\d)?k?/s, out \d+(\.\d)?k?/s, no checkpoint yet, 0 restart\(s\)$`, "gm");
    await waitFor(() => ((stderr.match(status)?.length ?? 0) >= 2 ? true : undefined), "two status lines");

    child.kill("SIGINT");
    expect(await exit).toBe(130);
    expect(stderr.endsWith(`the job ${jobId} keeps running on the cluster; cancel it with \`weir cancel ${jobId} --nats ${server.url}\`\n`)).toBe(true);
    // Every line is the submission, a status line or the parting message.
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`job ${jobId} submitted`);
    const anyStatus = new RegExp(String.raw`^job ${jobId} (scheduling|deploying|running): in \d+(\.\d)?k?/s, out \d+(\.\d)?k?/s, no checkpoint yet, 0 restart\(s\)$`);
    expect(lines.slice(1, -1).filter((l) => !anyStatus.test(l))).toEqual([]);

    const listed = await waitFor(async () => (await jobs()).find((j) => j.id === jobId), "the job in the list");
    expect(listed.status).toBe("running");
    const cancel = await runWeir(["cancel", jobId, "--nats", server.url]);
    expect(cancel).toEqual({ code: 0, stdout: "", stderr: `job ${jobId} is canceling\n` });
    await waitFor(async () => ((await jobs()).find((j) => j.id === jobId)?.status === "canceled" ? true : undefined), "the job to be canceled");
  }, 120_000);

  it("on a terminal, rewrites one status line in place and clears it when the job ends", async () => {
    // `script` gives the run a real terminal; what it writes comes back on script's stdout.
    // A terminal wide enough for the whole line (a narrower one gets it cut).
    const command = ["stty", "cols", "200;", "node", "bin/weir.mjs", "run", JOB, "--nats", server.url, "--", "--events", "2000", "--rate", "500", "--output", join(dir, "tty")].join(" ");
    const child = spawn("script", ["-qefc", command, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    const jobId = /job ([0-9a-f]{16}) submitted\r\n/.exec(out)?.[1];
    expect(jobId).toBeDefined();
    expect(out).toMatch(new RegExp(String.raw`\rjob ${jobId} running: in \d+(\.\d)?k?/s, out \d+(\.\d)?k?/s, no checkpoint yet, 0 restart\(s\)\x1b\[K`));
    expect(out).toMatch(new RegExp(String.raw`\r\x1b\[Kjob ${jobId} finished in \d+ ms\r\n$`));
    // In place: the status lines and the final line share one line of the terminal.
    const statusLines = out.split("\n").filter((line) => line.includes("restart(s)"));
    expect(statusLines).toHaveLength(1);
    expect(statusLines[0]).toMatch(/finished in \d+ ms\r$/);
  }, 120_000);

  it("--detached prints the job id and exits once the job is accepted; embedded it is refused", async () => {
    const result = await runWeir(["run", JOB, "--nats", server.url, "--detached", "--", "--events", "200", "--rate", "1000", "--output", join(dir, "detached")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]{16}\n$/);
    const jobId = result.stdout.trim();
    expect(result.stderr).toBe(`job ${jobId} submitted\n`);
    await waitFor(async () => ((await jobs()).find((j) => j.id === jobId)?.status === "finished" ? true : undefined), "the detached job to finish");

    const embedded = await runWeir(["run", JOB, "--detached", "--", "--events", "10"]);
    expect(embedded).toEqual({ code: 1, stdout: "", stderr: "weir: --detached goes with --nats <url>: an embedded job runs inside this process and ends with it\n" });
  }, 120_000);
});

describe("weir run when its job manager goes away", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "weir-run-jm-lost-"));

  beforeAll(async () => {
    server = await startNatsServer();
    processes.push(await startJobManagerProcess(server.url));
    processes.push(await startWorkerProcess(server.url, 4, "orphan-a"));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says within seconds that no job manager answers, and gives up when the one that comes back no longer knows the job", async () => {
    const child = spawn(process.execPath, ["bin/weir.mjs", "run", JOB, "--nats", server.url, "--progress-interval", "0", "--", "--events", "1000000", "--rate", "200", "--output", join(dir, "counts")], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const jobId = await waitFor(() => /job ([0-9a-f]+) submitted/.exec(stderr)?.[1], "the job to be submitted");
    await waitFor(() => (processes[1].logs().includes(`"jobId":"${jobId}"`) && processes[1].logs().includes('"msg":"subtask running"') ? true : undefined), "the job to run");

    await processes[0].stop("SIGKILL");
    await waitFor(() => (stderr.includes("no job manager answers") ? true : undefined), "the run to notice");
    expect(stderr).toContain(`no job manager answers on ${server.url} (was it stopped?); waiting for one. The job's subtasks may still be running on the workers\n`);

    processes[0] = await startJobManagerProcess(server.url);
    expect(await exit).toBe(1);
    expect(stderr).toContain(`the job manager on ${server.url} no longer knows job ${jobId} (it restarted`);
    expect(stderr.endsWith(`weir: job ${jobId} was lost with its job manager\n`)).toBe(true);
  }, 120_000);
});
