// Keeps a subscription handler's exception inside the message it failed on. Both buses wrap every
// handler with it: the exception is counted in `weir_handler_exceptions_total` by endpoint and
// reason, logged once per endpoint and reason with context, and a request gets an error reply.

import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { BusHandler } from "./bus.ts";

export const HANDLER_EXCEPTIONS_METRIC = "weir_handler_exceptions_total";

/** The reason label of a thrown value: its error class name, or `non-error`. Never throws. */
export function exceptionReason(error: unknown): string {
  if (!(error instanceof Error)) return "non-error";
  const name = Object.getOwnPropertyDescriptor(error, "name")?.value ?? error.constructor?.name;
  return typeof name === "string" && /^[A-Za-z][A-Za-z0-9_]{0,40}$/.test(name) ? name : "Error";
}

function exceptionMessage(error: unknown): string {
  const message = error instanceof Error ? Object.getOwnPropertyDescriptor(error, "message")?.value : undefined;
  return typeof message === "string" ? message.slice(0, 300) : exceptionReason(error);
}

export interface HandlerGuardOptions {
  metrics: MetricRegistry;
  log: Logger;
  /** Sends the error text to a requester's reply subject (the bus's own way of saying "failed"). */
  replyWithError: (reply: string, error: string) => void;
}

/** Wraps `handler` so that nothing it throws reaches the bus's delivery loop. */
export function guardHandler(handler: BusHandler, endpoint: string, options: HandlerGuardOptions): BusHandler {
  return (data, subject, reply) => {
    try {
      handler(data, subject, reply);
    } catch (error) {
      onHandlerException(error, { endpoint, subject, reply, bytes: data.length }, options);
    }
  };
}

function onHandlerException(
  error: unknown,
  context: { endpoint: string; subject: string; reply: string | undefined; bytes: number },
  { metrics, log, replyWithError }: HandlerGuardOptions,
): void {
  try {
    const reason = exceptionReason(error);
    metrics.counter(HANDLER_EXCEPTIONS_METRIC, { endpoint: context.endpoint, reason }).inc();
    const message = exceptionMessage(error);
    if (metrics.firstTime(`handler exception ${context.endpoint} ${reason}`)) {
      log.error(
        { endpoint: context.endpoint, reason, subject: context.subject, bytes: context.bytes, error: message, stack: error instanceof Error ? error.stack : undefined },
        "a bus handler threw; the message was dropped and delivery goes on (further exceptions of this kind are only counted)",
      );
    }
    if (context.reply) replyWithError(context.reply, `${context.endpoint} failed to handle the request: ${reason}: ${message}`);
  } catch {
    // Counting, logging or replying failed too (a closed connection): the delivery loop must go on.
  }
}
