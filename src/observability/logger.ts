// The root pino logger of a process, and the child-logger fields every actor uses.
// Nothing on the per-record path logs.

import { createRequire } from "node:module";
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** How log lines are written: one JSON object a line (for machines), or readable lines (for people). */
export type LogFormat = "pretty" | "json";

export const LOG_FORMATS: readonly LogFormat[] = ["pretty", "json"];

export interface RootLoggerOptions {
  name: string;
  level?: string;
  /** A file descriptor or a file path; default 2 (stderr). */
  destination?: number | string;
  /** Default: pretty when the destination is a terminal, else JSON. */
  format?: LogFormat;
}

/**
 * Creates the one root logger of a process. Without a level, `WEIR_LOG_LEVEL` (else info) applies.
 * @example
 * const log = createRootLogger({ name: "weir-worker", level: "info", format: "json" });
 */
export function createRootLogger(options: RootLoggerOptions = { name: "weir" }): Logger {
  const level = options.level ?? process.env.WEIR_LOG_LEVEL ?? "info";
  const dest = options.destination ?? 2;
  const terminal = (dest === 2 && process.stderr.isTTY === true) || (dest === 1 && process.stdout.isTTY === true);
  const settings = { name: options.name, level, base: { pid: process.pid } };
  const pretty = (options.format ?? (terminal ? "pretty" : "json")) === "pretty" ? loadPretty() : undefined;
  if (pretty) return pino(settings, pretty({ destination: dest, sync: true, colorize: terminal, singleLine: true, ignore: "pid,hostname", translateTime: "SYS:HH:MM:ss.l" }));
  return pino(settings, pino.destination({ dest, sync: true }));
}

/** The part of pino-pretty's factory used here. */
type PrettyFactory = (options: { destination: number | string; sync: boolean; colorize: boolean; singleLine: boolean; ignore: string; translateTime: string }) => DestinationStream;

/** pino-pretty, loaded only when asked for (JSON-logging processes start without it); logs stay JSON if it is missing. */
function loadPretty(): PrettyFactory | undefined {
  try {
    return createRequire(import.meta.url)("pino-pretty") as PrettyFactory;
  } catch (error) {
    process.stderr.write(`weir: readable logs need the pino-pretty package (${(error as Error).message.split("\n")[0]}); logging JSON\n`);
    return undefined;
  }
}

/** A logger that writes nothing: the default in tests and embedded runs unless asked. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
