// The resource manager actor: knows the workers and their slots, answers slot requests, and
// declares a worker lost when its heartbeats stop, or sooner when its connection is gone: a
// prober pings every worker every probe interval, and a ping nobody listens for (NATS answers "no
// responders" at once) twice in a row means the worker has left the bus. Decisions live in
// coordinator/slot-pool.ts. Receives register-worker, unregister-worker, heartbeat, request-slots,
// release-slots and worker-unresponsive; sends worker-registered, slots-reply, worker-ping and
// worker-lost. A worker a job master reports unresponsive (subtasks deployed there were never
// acknowledged) is lost at once and blocked for a while (coordinator/worker-blocklist.ts): its
// registrations and heartbeats are ignored, so no slot on it is offered again.

import { assign, fromCallback, sendTo, setup } from "xstate";
import { NoRespondersError } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { encode } from "../messages/codec.ts";
import type { Heartbeat, RegisterWorker, ReleaseSlots, RequestSlots, SlotsReply, UnregisterWorker, WorkerLost, WorkerUnresponsive } from "../messages/schema.ts";
import { blockWorker, emptyBlocklist, isBlocked, pruneBlocklist, type WorkerBlocklist } from "../coordinator/worker-blocklist.ts";
import { allocateSlots, emptySlotPool, freeSlots, expireWorkers, heartbeat, probed, registerWorker, releaseSlots, unregisterWorker, type SlotPool } from "../coordinator/slot-pool.ts";
import { listen, send, type ActorDeps } from "./actor-deps.ts";

export interface ResourceManagerInput {
  deps: ActorDeps;
  heartbeatIntervalMs?: number;
  /** A worker silent for this long is lost. */
  heartbeatTimeoutMs?: number;
  /** How often every worker is pinged (ms; default 250, 0: never, heartbeats only). */
  probeIntervalMs?: number;
}

interface ResourceManagerContext {
  deps: ActorDeps;
  pool: SlotPool;
  blocked: WorkerBlocklist;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  probeIntervalMs: number;
}

export type ResourceManagerEvent =
  | { type: "PROBE_DUE" }
  | { type: "PROBED"; workerId: string; reachable: boolean }
  | { type: "REGISTER"; message: RegisterWorker; reply?: string }
  | { type: "UNREGISTER"; message: UnregisterWorker }
  | { type: "HEARTBEAT"; message: Heartbeat }
  | { type: "REQUEST_SLOTS"; message: RequestSlots; reply?: string }
  | { type: "RELEASE_SLOTS"; message: ReleaseSlots }
  | { type: "UNRESPONSIVE"; message: WorkerUnresponsive };

const inbox = fromCallback<ResourceManagerEvent, ActorDeps>(({ input: deps, sendBack }) => {
  const subs = [
    listen(deps, "resource-manager", subjects.registerWorker(), ["register-worker"], (message, reply) => sendBack({ type: "REGISTER", message, reply })),
    listen(deps, "resource-manager", subjects.heartbeat(), ["heartbeat"], (message) => sendBack({ type: "HEARTBEAT", message })),
    listen(deps, "resource-manager", subjects.unregisterWorker(), ["unregister-worker"], (message) => sendBack({ type: "UNREGISTER", message })),
    listen(deps, "resource-manager", subjects.requestSlots(), ["request-slots"], (message, reply) => sendBack({ type: "REQUEST_SLOTS", message, reply })),
    listen(deps, "resource-manager", subjects.releaseSlots(), ["release-slots"], (message) => sendBack({ type: "RELEASE_SLOTS", message })),
    listen(deps, "resource-manager", subjects.workerUnresponsive(), ["worker-unresponsive"], (message) => sendBack({ type: "UNRESPONSIVE", message })),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
});

/**
 * Pings the workers it is told of and reports which answered and which nobody listens for. A ping
 * that times out says nothing (a busy worker): the heartbeat timeout covers hung workers.
 */
const prober = fromCallback<{ type: "PROBE"; workerIds: string[] }, { deps: ActorDeps; intervalMs: number }>(({ input: { deps, intervalMs }, sendBack, receive }) => {
  let stopped = false;
  let timer: unknown;
  if (intervalMs <= 0) return () => undefined;
  const tick = () => {
    if (stopped) return;
    sendBack({ type: "PROBE_DUE" });
    timer = deps.clock.setTimeout(tick, intervalMs);
  };
  timer = deps.clock.setTimeout(tick, intervalMs);
  receive(({ workerIds }) => {
    for (const workerId of workerIds) {
      deps.bus.request(subjects.workerPing(workerId), encode({ type: "worker-ping", workerId }), { timeoutMs: Math.max(intervalMs * 4, 1000) }).then(
        () => !stopped && sendBack({ type: "PROBED", workerId, reachable: true }),
        (error: unknown) => !stopped && error instanceof NoRespondersError && sendBack({ type: "PROBED", workerId, reachable: false }),
      );
    }
  });
  return () => {
    stopped = true;
    deps.clock.clearTimeout(timer);
  };
});

/** The machine's types and its effects: messages it sends, as named actions. */
const effects = setup({
  types: { input: {} as ResourceManagerInput, context: {} as ResourceManagerContext, events: {} as ResourceManagerEvent },
  actors: { inbox, prober },
  delays: { checkInterval: ({ context }) => context.heartbeatIntervalMs },
  actions: {
    announceWorkerLost: ({ context }, lost: Omit<WorkerLost, "type" | "v">) => {
      const message = {
        unregistered: "worker unregistered",
        "heartbeat-timeout": "worker lost: no heartbeat",
        unreachable: "worker lost: its connection is gone",
        unresponsive: "worker lost: it did not acknowledge subtasks deployed there; no slots are offered on it for a while",
      }[lost.reason];
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
    /** A worker nobody listens for any more, twice in a row, is lost at once. */
    applyProbe: effects.enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "PROBED") return;
      const { pool, lost } = probed(context.pool, event.workerId, event.reachable);
      enqueue.assign({ pool });
      if (lost) enqueue({ type: "announceWorkerLost", params: { workerId: lost.workerId, jobIds: lost.jobIds, reason: "unreachable" } });
    }),
    /** A job master's deploys to a worker went unacknowledged: it is lost, and blocked for a while. */
    blockUnresponsive: effects.enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "UNRESPONSIVE") return;
      const { workerId, jobId, subtasks } = event.message;
      // Only a job with slots there may say so (a late or forged report names a worker it does not use).
      if (!Object.values(context.pool.workers[workerId]?.allocated ?? {}).includes(jobId)) return;
      const now = context.deps.clock.now();
      const blocked = blockWorker(pruneBlocklist(context.blocked, now), workerId, now);
      context.deps.metrics.counter("weir_workers_blocked_total").inc();
      context.deps.log.warn({ workerId, jobId, subtasks, blockedForMs: blocked[workerId].lengthMs }, "blocking a worker that did not acknowledge subtasks deployed there");
      const { pool, lost } = unregisterWorker(context.pool, workerId);
      enqueue.assign({ pool, blocked });
      if (lost) enqueue({ type: "announceWorkerLost", params: { workerId: lost.workerId, jobIds: lost.jobIds, reason: "unresponsive" } });
    }),
    register: effects.enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "REGISTER") return;
      const { workerId, slots, host, pid } = event.message;
      if (isBlocked(context.blocked, workerId, context.deps.clock.now())) return;
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
      const { jobId, upTo } = event.message;
      // upTo (reactive mode): as many as are free, up to count, at least one.
      const count = upTo ? Math.max(1, Math.min(event.message.count, freeSlots(context.pool))) : event.message.count;
      const outcome = allocateSlots(context.pool, jobId, count);
      const to = event.reply;
      if (outcome.kind === "insufficient") {
        const error = `job ${jobId} needs ${count} slot${count === 1 ? "" : "s"}, found ${outcome.free} free on ${outcome.workers} worker(s): start more workers (weir worker --slots N) or lower the parallelism`;
        if (to) enqueue({ type: "replySlots", params: { to, reply: { jobId, slots: [], error, free: outcome.free } } });
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
    blocked: emptyBlocklist,
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? 1000,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? 10_000,
    probeIntervalMs: input.probeIntervalMs ?? 250,
  }),
  invoke: [
    { src: "inbox", input: ({ context }) => context.deps },
    { id: "prober", src: "prober", input: ({ context }) => ({ deps: context.deps, intervalMs: context.probeIntervalMs }) },
  ],
  initial: "serving",
  states: {
    serving: {
      after: { checkInterval: { target: "serving", reenter: true, actions: "expireWorkers" } },
      on: {
        REGISTER: { actions: "register" },
        UNREGISTER: { actions: "unregister" },
        HEARTBEAT: {
          guard: ({ context, event }) => !isBlocked(context.blocked, event.message.workerId, context.deps.clock.now()),
          actions: assign(({ context, event }) => ({ pool: heartbeat(context.pool, event.message.workerId, event.message.slots, context.deps.clock.now()) })),
        },
        UNRESPONSIVE: { actions: "blockUnresponsive" },
        REQUEST_SLOTS: { actions: "allocate" },
        PROBE_DUE: { actions: sendTo("prober", ({ context }) => ({ type: "PROBE" as const, workerIds: Object.keys(context.pool.workers) })) },
        PROBED: { actions: "applyProbe" },
        RELEASE_SLOTS: { actions: assign(({ context, event }) => ({ pool: releaseSlots(context.pool, event.message.jobId) })) },
      },
    },
  },
});
