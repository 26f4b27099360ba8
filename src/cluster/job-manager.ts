// A job manager: the dispatcher and the resource manager actors on one bus (job masters are
// spawned by the dispatcher). Used by `weir jobmanager` and by the embedded mini cluster.

import { createActor } from "xstate";
import type { ActorDeps } from "../actors/actor-deps.ts";
import { busFor } from "../bus/trace.ts";
import { dispatcherMachine } from "../actors/dispatcher.ts";
import { resourceManagerMachine } from "../actors/resource-manager.ts";
import { monitorMachine } from "../actors/monitor.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { WEIR_VERSION } from "../core/version.ts";
import { ArtifactStore } from "./artifact-store.ts";
import type { JobHistory } from "../monitor/job-history.ts";
import type { ClusterView } from "../monitor/cluster-view.ts";
import type { JobRecord, JobStore } from "../coordinator/job-record.ts";
import type { JobLoader } from "../actors/subtask.ts";
import { createJobLoader } from "./job-loader.ts";

export interface JobManagerOptions {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** How often the resource manager pings every worker to find one whose connection is gone (ms; 0: never). */
  probeIntervalMs?: number;
  slotRequestTimeoutMs?: number;
  /**
   * Called if the dispatcher or the resource manager itself throws (a job master's exception fails
   * only its job). That actor has stopped: the process can no longer serve and should exit.
   */
  onFailure?: (actor: string, error: unknown) => void;
  /** Run the monitor that answers what the cluster runs (REST API, `weir list`); default true. */
  monitor?: boolean;
  /** Where the monitor keeps ended jobs beyond this process's life (default: in memory only). */
  jobHistory?: JobHistory;
  /** How long after the last job running an artifact has ended it is removed from the artifact bucket (ms; default 60 s). */
  artifactGraceMs?: number;
  /** With leader election: where running jobs are recorded, and those a leader that is gone left to take over. */
  jobStore?: JobStore;
  takeovers?: readonly JobRecord[];
  /**
   * Loads a job's code, for sources with a split enumerator: on NATS, a worker's loader over an
   * artifact cache (`weir jobmanager` passes one); default createJobLoader(), which loads only jobs
   * of this process (the embedded cluster passes its graphs).
   */
  loadJob?: JobLoader;
  /** Reactive mode (`weir jobmanager --reactive`): every job runs at the parallelism of the slots there are, up to its max parallelism. */
  reactive?: boolean;
}

export interface RunningJobManager {
  /** The monitor's view of the cluster (absent without a monitor). */
  view(): ClusterView | undefined;
  stop(): void;
}

export function startJobManager(deps: ActorDeps, options: JobManagerOptions = {}): RunningJobManager {
  const resourceManager = createActor(resourceManagerMachine, {
    input: { deps: { ...deps, bus: busFor(deps.bus, "resource-manager"), log: deps.log.child({ actor: "resource-manager" }) }, heartbeatIntervalMs: options.heartbeatIntervalMs, heartbeatTimeoutMs: options.heartbeatTimeoutMs, probeIntervalMs: options.probeIntervalMs },
    clock: deps.clock,
  }).start();
  const dispatcher = createActor(dispatcherMachine, {
    input: {
      deps: { ...deps, bus: busFor(deps.bus, "dispatcher"), log: deps.log.child({ actor: "dispatcher" }) },
      slotRequestTimeoutMs: options.slotRequestTimeoutMs,
      jobLogger: (jobId) => deps.log.child({ jobId }),
      loadJob: options.loadJob ?? createJobLoader(),
      removeArtifact: removerOf(deps.nats),
      artifactGraceMs: options.artifactGraceMs,
      jobStore: options.jobStore,
      takeovers: options.takeovers,
      reactive: options.reactive,
    },
    clock: deps.clock,
  }).start();
  const monitor =
    options.monitor === false
      ? undefined
      : createActor(monitorMachine, { input: { deps: { ...deps, bus: busFor(deps.bus, "monitor"), log: deps.log.child({ actor: "monitor" }) }, version: WEIR_VERSION, history: options.jobHistory, adopted: options.takeovers }, clock: deps.clock }).start();
  const onFailure = options.onFailure ?? ((actor: string, error: unknown) => deps.log.fatal({ actor, err: error }, `the ${actor} failed; this job manager can no longer serve`));
  // An error observer keeps xstate from rethrowing the failure as an uncaught exception.
  resourceManager.subscribe({ error: (error) => onFailure("resource manager", error) });
  dispatcher.subscribe({ error: (error) => onFailure("dispatcher", error) });
  monitor?.subscribe({ error: (error) => onFailure("monitor", error) });
  return {
    view: () => monitor?.getSnapshot().context.view,
    stop() {
      monitor?.stop();
      dispatcher.stop();
      resourceManager.stop();
    },
  };
}

/** Removes job artifacts from the artifact bucket, when there is a NATS connection to reach it. */
function removerOf(nats: NatsConnection | undefined): ((digest: string) => Promise<void>) | undefined {
  if (!nats) return undefined;
  return async (digest) => (await ArtifactStore.open(nats, "existing")).remove(digest);
}
