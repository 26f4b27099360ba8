// Starts `weir jobmanager` and `weir worker` as real processes for integration tests, waits until
// they are ready (by their log lines) and stops them.

import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const WEIR_BIN = fileURLToPath(new URL("../../bin/weir.mjs", import.meta.url));

export interface WeirProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr (its logs) so far. */
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `weir <args>` (in `cwd` if given) and resolves once a log line contains `readyText`. */
export async function startWeirProcess(args: string[], readyText: string, timeoutMs = 30_000, cwd?: string): Promise<WeirProcess> {
  const child = spawn(process.execPath, [WEIR_BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WEIR_LOG_LEVEL: "info" } });
  let logs = "";
  child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`weir ${args.join(" ")} not ready within ${timeoutMs} ms:\n${logs}`)), timeoutMs);
    child.stderr!.on("data", (chunk: Buffer) => {
      logs += chunk.toString();
      if (logs.includes(readyText)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`weir ${args.join(" ")} exited with ${code}:\n${logs}`));
    });
  });
  return {
    child,
    logs: () => logs,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill(signal);
      return exited;
    },
  };
}

/** A job manager; its REST API listens on a free port unless `extra` names one (restEndpointOf says where). */
export function startJobManagerProcess(natsUrl: string, extra: string[] = []): Promise<WeirProcess> {
  const restPort = extra.includes("--rest-port") ? [] : ["--rest-port", "0"];
  return startWeirProcess(["jobmanager", "--nats", natsUrl, ...restPort, ...extra], "job manager ready");
}

/** Where a started job manager's REST API and dashboard listen, and its token: from its startup log line. */
export function restEndpointOf(jobManager: WeirProcess): { url: string; token: string } {
  const match = /dashboard and REST API at (http:\/\/[^\s"]+?)\/#token=([^\s"]+)/.exec(jobManager.logs());
  if (!match) throw new Error(`the job manager logged no dashboard address:\n${jobManager.logs()}`);
  return { url: match[1], token: decodeURIComponent(match[2]) };
}

/** A worker; `extra` adds flags (e.g. its NATS login); `cwd` is its working directory (default: this process's). */
export function startWorkerProcess(natsUrl: string, slots: number, id: string, extra: string[] = [], cwd?: string): Promise<WeirProcess> {
  return startWeirProcess(["worker", "--nats", natsUrl, "--slots", String(slots), "--id", id, ...extra], "worker registered", 30_000, cwd);
}

export interface FinishedProcess {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `weir <args>` to completion (with `env` added to this process's variables) and returns its exit code and output. */
export function runWeir(args: string[], timeoutMs = 50_000, env?: Record<string, string>): Promise<FinishedProcess> {
  return runProcess(process.execPath, [WEIR_BIN, ...args], { timeoutMs, env, label: `weir ${args.join(" ")}` });
}

/** Runs `command args` (in `cwd`) to completion; rejects only if it cannot start or does not finish within `timeoutMs`. */
export function runProcess(command: string, args: string[], options: { cwd?: string; timeoutMs?: number; label?: string; env?: Record<string, string> } = {}): Promise<FinishedProcess> {
  const { cwd, timeoutMs = 50_000, label = `${command} ${args.join(" ")}` } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
