// What every actor is given instead of reaching for globals: the bus, the clock, a logger,
// the metric registry. Tests and replays pass a simulated clock and a recording bus.

import type { NatsConnection } from "@nats-io/transport-node";
import type { Bus, BusSubscription } from "../bus/bus.ts";
import { decode, type Unversioned } from "../messages/codec.ts";
import { encode } from "../messages/codec.ts";
import { Rejections } from "../messages/rejections.ts";
import { FENCED_MESSAGES, staleEpochRejection, type LeaderFence } from "../messages/leader-fence.ts";
import type { Message, MessageType } from "../messages/schema.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { Clock } from "../core/clock.ts";

export interface ActorDeps {
  bus: Bus;
  clock: Clock;
  log: Logger;
  metrics: MetricRegistry;
  /** The NATS connection behind the bus, when there is one: JetStream (checkpoint object stores) needs it. */
  nats?: NatsConnection;
  /** A leading job manager's epoch: stamped on the control messages it sends to workers (leader-fence.ts). */
  epoch?: number;
  /** A worker's record of the highest leader epoch seen: control messages of a lower one are refused. */
  fence?: LeaderFence;
}

/** Publishes one message; the codec stamps the version. */
export function send(deps: ActorDeps, subject: string, message: Unversioned<Message>): void {
  const stamped = deps.epoch !== undefined && FENCED_MESSAGES.has(message.type) ? { ...message, epoch: deps.epoch } : message;
  deps.bus.publish(subject, encode(stamped));
}

/**
 * Subscribes to `subject`, decodes and validates each message and hands the valid ones of the
 * expected types to `onMessage`; everything else is rejected, counted and logged once. With a
 * fence, a control message from an older leader epoch is rejected too.
 */
export function listen<T extends MessageType>(
  deps: ActorDeps,
  endpoint: string,
  subject: string,
  types: readonly T[],
  onMessage: (message: Extract<Message, { type: T }>, reply: string | undefined, context: { subject: string; bytes: number }) => void,
  options: { queue?: string } = {},
): BusSubscription {
  const rejections = new Rejections(deps.metrics, deps.log, endpoint);
  return deps.bus.subscribe(
    subject,
    (data, actual, reply) => {
      const outcome = decode(data, types);
      if (!outcome.ok) {
        rejections.reject(outcome, { subject: actual, bytes: data.length });
        return;
      }
      const fenced = deps.fence && "epoch" in outcome.message ? deps.fence.admit(outcome.message.epoch) : undefined;
      if (fenced?.kind === "stale") rejections.reject(staleEpochRejection(fenced, outcome.message.type), { subject: actual, bytes: data.length });
      else onMessage(outcome.message, reply, { subject: actual, bytes: data.length });
    },
    { ...options, endpoint },
  );
}

/**
 * A key naming one subtask execution, for maps, actor ids and trace names. It starts with the job
 * id: one worker runs subtasks of many jobs, and every job has a `v1`.
 */
export function taskKey(task: { jobId: string; vertexId: string; subtaskIndex: number; attempt: number }): string {
  return `${task.jobId}-${task.vertexId}-${task.subtaskIndex}-${task.attempt}`;
}

/** An exception as one line for a status or a log: its class name and message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
