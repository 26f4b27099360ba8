// A worker (TaskManager): the worker actor on a bus, with a job loader. Used by `weir worker`
// and by the embedded mini cluster.

import { createActor, waitFor } from "xstate";
import { randomBytes } from "node:crypto";
import type { ActorDeps } from "../actors/actor-deps.ts";
import { busFor } from "../bus/trace.ts";
import type { JobLoader } from "../actors/subtask.ts";
import { workerMachine } from "../actors/worker.ts";
import { sampleWorker, startTaskMetricsReporter } from "./task-metrics-reporter.ts";
import type { SubtaskId, TaskSample } from "../messages/schema.ts";

export interface WorkerOptions {
  slots: number;
  workerId?: string;
  loadJob: JobLoader;
  /**
   * Called if the worker actor itself throws (a subtask's exception fails only that subtask). The
   * worker has stopped: the process can no longer serve and should exit.
   */
  onFailure?: (error: unknown) => void;
  /** How often the subtasks' figures go to the monitor (ms); default 1000, 0 for never. */
  metricsIntervalMs?: number;
}

export interface RunningWorker {
  readonly workerId: string;
  /** The running subtasks' figures now (for this process's /metrics). */
  samples(): { task: SubtaskId; sample: TaskSample }[];
  /** Cancels running subtasks, waits (up to 5 s) until they have reported it, and stops heartbeating. */
  stop(): Promise<void>;
}

export function startWorker(deps: ActorDeps, options: WorkerOptions): RunningWorker {
  if (!Number.isInteger(options.slots) || options.slots < 1) throw new Error(`--slots must be a positive integer, got ${options.slots}`);
  const workerId = options.workerId ?? `worker-${randomBytes(4).toString("hex")}`;
  const actor = createActor(workerMachine, {
    input: { deps: { ...deps, bus: busFor(deps.bus, `worker/${workerId}`), log: deps.log.child({ workerId }) }, workerId, slots: options.slots, loadJob: options.loadJob },
    clock: deps.clock,
  }).start();
  const onFailure = options.onFailure ?? ((error: unknown) => deps.log.fatal({ err: error }, "the worker actor failed; this worker can no longer serve"));
  // An error observer keeps xstate from rethrowing the failure as an uncaught exception.
  actor.subscribe({ error: onFailure });
  const metricsIntervalMs = options.metricsIntervalMs ?? 1000;
  const stopReporting = metricsIntervalMs <= 0 ? () => undefined : startTaskMetricsReporter({ ...deps, bus: busFor(deps.bus, `worker-metrics/${workerId}`) }, workerId, actor, metricsIntervalMs);
  return {
    workerId,
    samples: () => sampleWorker(actor),
    async stop() {
      actor.send({ type: "STOP" });
      await waitFor(actor, (snapshot) => snapshot.status === "done", { timeout: 5000 }).catch(() => undefined);
      // After the subtasks have ended: their final figures went out.
      stopReporting();
      actor.stop();
    },
  };
}
