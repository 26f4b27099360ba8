// Logs (pino) and metrics.
export * from "./logger.ts";
export * from "./metrics.ts";
