// A job manager: the dispatcher and the resource manager actors on one bus (job masters are
// spawned by the dispatcher). Used by `weir jobmanager` and by the embedded mini cluster.

import { createActor } from "xstate";
import type { ActorDeps } from "../actors/actor-deps.ts";
import { busFor } from "../bus/trace.ts";
import { dispatcherMachine } from "../actors/dispatcher.ts";
import { resourceManagerMachine } from "../actors/resource-manager.ts";

export interface JobManagerOptions {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  slotRequestTimeoutMs?: number;
}

export interface RunningJobManager {
  stop(): void;
}

export function startJobManager(deps: ActorDeps, options: JobManagerOptions = {}): RunningJobManager {
  const resourceManager = createActor(resourceManagerMachine, {
    input: { deps: { ...deps, bus: busFor(deps.bus, "resource-manager"), log: deps.log.child({ actor: "resource-manager" }) }, heartbeatIntervalMs: options.heartbeatIntervalMs, heartbeatTimeoutMs: options.heartbeatTimeoutMs },
    clock: deps.clock,
  }).start();
  const dispatcher = createActor(dispatcherMachine, {
    input: { deps: { ...deps, bus: busFor(deps.bus, "dispatcher"), log: deps.log.child({ actor: "dispatcher" }) }, slotRequestTimeoutMs: options.slotRequestTimeoutMs, jobLogger: (jobId) => deps.log.child({ jobId }) },
    clock: deps.clock,
  }).start();
  return {
    stop() {
      dispatcher.stop();
      resourceManager.stop();
    },
  };
}
