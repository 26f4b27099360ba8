// The resource manager actor: knows the workers and their slots, answers slot requests, and
// declares a worker lost when its heartbeats stop. Decisions live in coordinator/slot-pool.ts.
// Receives register-worker, unregister-worker, heartbeat, request-slots, release-slots; sends
// worker-registered, slots-reply and worker-lost.

import { assign, fromCallback, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import type { Heartbeat, RegisterWorker, ReleaseSlots, RequestSlots, UnregisterWorker } from "../messages/schema.ts";
import { allocateSlots, emptySlotPool, expireWorkers, heartbeat, registerWorker, releaseSlots, unregisterWorker, type SlotPool } from "../coordinator/slot-pool.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";

export interface ResourceManagerInput {
  deps: ActorDeps;
  heartbeatIntervalMs?: number;
  /** A worker silent for this long is lost. */
  heartbeatTimeoutMs?: number;
}

interface ResourceManagerContext {
  deps: ActorDeps;
  pool: SlotPool;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}

export type ResourceManagerEvent =
  | { type: "REGISTER"; message: RegisterWorker; reply?: string }
  | { type: "UNREGISTER"; message: UnregisterWorker }
  | { type: "HEARTBEAT"; message: Heartbeat }
  | { type: "REQUEST_SLOTS"; message: RequestSlots; reply?: string }
  | { type: "RELEASE_SLOTS"; message: ReleaseSlots };

const inbox = fromCallback<ResourceManagerEvent, ActorDeps>(({ input: deps, sendBack }) => {
  const subs = [
    listen(deps, "resource-manager", subjects.registerWorker(), ["register-worker"], (message, reply) => sendBack({ type: "REGISTER", message, reply })),
    listen(deps, "resource-manager", subjects.heartbeat(), ["heartbeat"], (message) => sendBack({ type: "HEARTBEAT", message })),
    listen(deps, "resource-manager", subjects.unregisterWorker(), ["unregister-worker"], (message) => sendBack({ type: "UNREGISTER", message })),
    listen(deps, "resource-manager", subjects.requestSlots(), ["request-slots"], (message, reply) => sendBack({ type: "REQUEST_SLOTS", message, reply })),
    listen(deps, "resource-manager", subjects.releaseSlots(), ["release-slots"], (message) => sendBack({ type: "RELEASE_SLOTS", message })),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
});

export const resourceManagerMachine = setup({
  types: { input: {} as ResourceManagerInput, context: {} as ResourceManagerContext, events: {} as ResourceManagerEvent },
  actors: { inbox },
  delays: { checkInterval: ({ context }) => context.heartbeatIntervalMs },
}).createMachine({
  id: "resource-manager",
  context: ({ input }) => ({
    deps: input.deps,
    pool: emptySlotPool,
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? 1000,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? 10_000,
  }),
  invoke: { src: "inbox", input: ({ context }) => context.deps },
  initial: "serving",
  states: {
    serving: {
      after: {
        checkInterval: {
          target: "serving",
          reenter: true,
          actions: assign(({ context }) => {
            const { pool, lost } = expireWorkers(context.pool, context.deps.clock.now(), context.heartbeatTimeoutMs);
            for (const worker of lost) {
              context.deps.log.warn({ workerId: worker.workerId, jobIds: worker.jobIds }, "worker lost: no heartbeat");
              send(context.deps, subjects.workerLost(), { type: "worker-lost", workerId: worker.workerId, jobIds: worker.jobIds, reason: "heartbeat-timeout" });
            }
            return { pool };
          }),
        },
      },
      on: {
        REGISTER: {
          actions: assign(({ context, event }) => {
            const { workerId, slots } = event.message;
            context.deps.log.info({ workerId, slots, host: event.message.host, pid: event.message.pid }, "worker registered");
            if (event.reply) send(context.deps, event.reply, { type: "worker-registered", workerId, heartbeatIntervalMs: context.heartbeatIntervalMs });
            return { pool: registerWorker(context.pool, workerId, slots, context.deps.clock.now()) };
          }),
        },
        UNREGISTER: {
          actions: assign(({ context, event }) => {
            const { pool, lost } = unregisterWorker(context.pool, event.message.workerId);
            if (lost) {
              context.deps.log.info({ workerId: lost.workerId, jobIds: lost.jobIds }, "worker unregistered");
              send(context.deps, subjects.workerLost(), { type: "worker-lost", workerId: lost.workerId, jobIds: lost.jobIds, reason: "unregistered" });
            }
            return { pool };
          }),
        },
        HEARTBEAT: {
          actions: assign(({ context, event }) => ({ pool: heartbeat(context.pool, event.message.workerId, event.message.slots, context.deps.clock.now()) })),
        },
        REQUEST_SLOTS: {
          actions: assign(({ context, event }) => {
            const { jobId, count } = event.message;
            const outcome = allocateSlots(context.pool, jobId, count);
            const reply = event.reply;
            if (outcome.kind === "insufficient") {
              const error = `job ${jobId} needs ${count} slots, found ${outcome.free} free on ${outcome.workers} worker(s): start more workers (weir worker --slots N) or lower the parallelism`;
              if (reply) send(context.deps, reply, { type: "slots-reply", jobId, slots: [], error });
              return {};
            }
            if (reply) send(context.deps, reply, { type: "slots-reply", jobId, slots: outcome.slots });
            return { pool: outcome.pool };
          }),
        },
        RELEASE_SLOTS: { actions: assign(({ context, event }) => ({ pool: releaseSlots(context.pool, event.message.jobId) })) },
      },
    },
  },
});
