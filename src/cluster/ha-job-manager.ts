// A job manager among several: it stands by until it holds the leader lease, then reads the
// records of the jobs a leader that is gone was running and starts the dispatcher, the resource
// manager and the monitor (job masters take those jobs over), every control message stamped with
// its epoch. The moment it may have lost the lease it stops them all, and stands by again.

import type { NatsConnection } from "@nats-io/transport-node";
import type { ActorDeps } from "../actors/actor-deps.ts";
import type { LeaseTimings } from "../coordinator/leader-lease.ts";
import { startJobManager, type JobManagerOptions, type RunningJobManager } from "./job-manager.ts";
import { openKvJobStore } from "./kv-job-store.ts";
import { startLeaderElection } from "./kv-leader-election.ts";

export interface HighAvailabilityOptions {
  nats: NatsConnection;
  /** This job manager's name in the lease (for people reading the bucket). */
  holder: string;
  timings?: LeaseTimings;
  /** Bucket names (defaults: weir-leader, weir-jobs); tests give each cluster its own. */
  leaderBucket?: string;
  jobBucket?: string;
  /** Called when this process becomes the leader, once its actors run (epoch) and when it steps down. */
  onLeadership?: (change: { leading: true; epoch: number; takenOver: number } | { leading: false; epoch: number; reason: string }) => void;
}

export interface HighlyAvailableJobManager extends Omit<RunningJobManager, "stop"> {
  /** The epoch this process leads with, if it leads. */
  epoch(): number | undefined;
  stop(): Promise<void>;
}

export async function startHighlyAvailableJobManager(deps: ActorDeps, options: JobManagerOptions, ha: HighAvailabilityOptions): Promise<HighlyAvailableJobManager> {
  const jobStore = await openKvJobStore(ha.nats, deps.log, deps.metrics, ha.jobBucket);
  let current: { epoch: number; jobManager: RunningJobManager } | undefined;
  let stopped = false;
  const lead = async (epoch: number) => {
    const takeovers = await jobStore.loadAll();
    // The lease may have been lost while the records were read: only the current leader starts.
    if (stopped || election.epoch() !== epoch) return;
    if (takeovers.length > 0) deps.log.warn({ epoch, jobs: takeovers.map((r) => r.submission.jobId) }, "taking over the jobs of the previous leader");
    current = { epoch, jobManager: startJobManager({ ...deps, epoch }, { ...options, jobStore, takeovers }) };
    ha.onLeadership?.({ leading: true, epoch, takenOver: takeovers.length });
  };
  const election = await startLeaderElection({
    nats: ha.nats,
    clock: deps.clock,
    log: deps.log,
    holder: ha.holder,
    timings: ha.timings,
    bucket: ha.leaderBucket,
    onLead: (epoch) => {
      lead(epoch).catch((error: unknown) => options.onFailure?.("leader", error) ?? deps.log.error({ err: error }, "could not start leading"));
    },
    onStepDown: (epoch, reason) => {
      current?.jobManager.stop();
      current = undefined;
      ha.onLeadership?.({ leading: false, epoch, reason });
    },
  });
  return {
    view: () => current?.jobManager.view(),
    epoch: () => election.epoch(),
    async stop() {
      stopped = true;
      await election.stop();
      current?.jobManager.stop();
      current = undefined;
    },
  };
}
