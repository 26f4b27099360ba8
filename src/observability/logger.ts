// The root pino logger of a process, and the child-logger fields every actor uses.
// Nothing on the per-record path logs.

import { pino, type Logger } from "pino";

export type { Logger };

/** Creates the one root logger of a process. Without a level, `WEIR_LOG_LEVEL` (else info) applies. */
export function createRootLogger(options: { name: string; level?: string; destination?: number | string } = { name: "weir" }): Logger {
  const level = options.level ?? process.env.WEIR_LOG_LEVEL ?? "info";
  const destination = pino.destination({ dest: options.destination ?? 2, sync: true });
  return pino({ name: options.name, level, base: { pid: process.pid } }, destination);
}

/** A logger that writes nothing: the default in tests and embedded runs unless asked. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
