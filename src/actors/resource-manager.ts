// The resource manager actor: knows the workers and their slots, answers slot requests, and
// declares a worker lost when its heartbeats stop. Decisions live in coordinator/slot-pool.ts.
// Receives register-worker, unregister-worker, heartbeat, request-slots, release-slots; sends
// worker-registered, slots-reply and worker-lost.

import { assign, fromCallback, setup } from "xstate";
import { subjects } from "../bus/subjects.ts";
import type { Heartbeat, RegisterWorker, ReleaseSlots, RequestSlots, SlotsReply, UnregisterWorker, WorkerLost } from "../messages/schema.ts";
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

/** The machine's types and its effects: messages it sends, as named actions. */
const effects = setup({
  types: { input: {} as ResourceManagerInput, context: {} as ResourceManagerContext, events: {} as ResourceManagerEvent },
  actors: { inbox },
  delays: { checkInterval: ({ context }) => context.heartbeatIntervalMs },
  actions: {
    announceWorkerLost: ({ context }, lost: Omit<WorkerLost, "type" | "v">) => {
      const message = lost.reason === "unregistered" ? "worker unregistered" : "worker lost: no heartbeat";
      context.deps.log[lost.reason === "unregistered" ? "info" : "warn"]({ workerId: lost.workerId, jobIds: lost.jobIds }, message);
      send(context.deps, subjects.workerLost(), { type: "worker-lost", ...lost });
    },
    welcome: ({ context }, { to, workerId }: { to: string; workerId: string }) =>
      send(context.deps, to, { type: "worker-registered", workerId, heartbeatIntervalMs: context.heartbeatIntervalMs }),
    replySlots: ({ context }, { to, reply }: { to: string; reply: Omit<SlotsReply, "type" | "v"> }) => send(context.deps, to, { type: "slots-reply", ...reply }),
  },
});

/** Its decisions (in coordinator/slot-pool.ts) update the pool and enqueue those effects. */
export const resourceManagerMachine = effects.extend({
  actions: {
    /** Workers silent for longer than the heartbeat timeout leave the pool and are announced lost. */
    expireWorkers: effects.enqueueActions(({ context, enqueue }) => {
      const { pool, lost } = expireWorkers(context.pool, context.deps.clock.now(), context.heartbeatTimeoutMs);
      enqueue.assign({ pool });
      for (const worker of lost) enqueue({ type: "announceWorkerLost", params: { workerId: worker.workerId, jobIds: worker.jobIds, reason: "heartbeat-timeout" } });
    }),
    register: effects.enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "REGISTER") return;
      const { workerId, slots, host, pid } = event.message;
      context.deps.log.info({ workerId, slots, host, pid }, "worker registered");
      enqueue.assign({ pool: registerWorker(context.pool, workerId, slots, context.deps.clock.now()) });
      if (event.reply) enqueue({ type: "welcome", params: { to: event.reply, workerId } });
    }),
    unregister: effects.enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "UNREGISTER") return;
      const { pool, lost } = unregisterWorker(context.pool, event.message.workerId);
      enqueue.assign({ pool });
      if (lost) enqueue({ type: "announceWorkerLost", params: { workerId: lost.workerId, jobIds: lost.jobIds, reason: "unregistered" } });
    }),
    allocate: effects.enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "REQUEST_SLOTS") return;
      const { jobId, count } = event.message;
      const outcome = allocateSlots(context.pool, jobId, count);
      const to = event.reply;
      if (outcome.kind === "insufficient") {
        const error = `job ${jobId} needs ${count} slots, found ${outcome.free} free on ${outcome.workers} worker(s): start more workers (weir worker --slots N) or lower the parallelism`;
        if (to) enqueue({ type: "replySlots", params: { to, reply: { jobId, slots: [], error } } });
        return;
      }
      enqueue.assign({ pool: outcome.pool });
      if (to) enqueue({ type: "replySlots", params: { to, reply: { jobId, slots: outcome.slots } } });
    }),
  },
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
      after: { checkInterval: { target: "serving", reenter: true, actions: "expireWorkers" } },
      on: {
        REGISTER: { actions: "register" },
        UNREGISTER: { actions: "unregister" },
        HEARTBEAT: {
          actions: assign(({ context, event }) => ({ pool: heartbeat(context.pool, event.message.workerId, event.message.slots, context.deps.clock.now()) })),
        },
        REQUEST_SLOTS: { actions: "allocate" },
        RELEASE_SLOTS: { actions: assign(({ context, event }) => ({ pool: releaseSlots(context.pool, event.message.jobId) })) },
      },
    },
  },
});
