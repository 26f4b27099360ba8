// Runs commands (npm, npx, tsc, an installed `weir` bin) as child processes for the package test:
// to completion with their output, or as long-lived processes that are ready when a log line says so.

import { spawn, type ChildProcess } from "node:child_process";
import { runProcess, type FinishedProcess } from "../../src/testing/index.ts";

export type Finished = FinishedProcess;

/** Runs `command args` in `cwd` to completion; rejects only if it does not finish within `timeoutMs`. */
export function runCommand(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Finished> {
  return runProcess(command, args, { cwd, timeoutMs });
}

/** Like runCommand, but rejects with the command's output unless it exits with 0. */
export async function runOk(command: string, args: string[], cwd: string, timeoutMs?: number): Promise<Finished> {
  const result = await runCommand(command, args, cwd, timeoutMs);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

export interface Daemon {
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `command args` in `cwd` and resolves once its output contains `readyText`. */
export async function startDaemon(command: string, args: string[], cwd: string, readyText: string, timeoutMs = 30_000): Promise<Daemon> {
  const child: ChildProcess = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WEIR_LOG_LEVEL: "info" } });
  let logs = "";
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args.join(" ")} not ready within ${timeoutMs} ms:\n${logs}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        logs += chunk.toString();
        if (logs.includes(readyText)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("error", reject);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${args.join(" ")} exited with ${code}:\n${logs}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { logs: () => logs, stop };
}
