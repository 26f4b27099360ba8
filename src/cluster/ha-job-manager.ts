// A job manager among several: it stands by until it holds the leader lease, then reads the
// records of the jobs a leader that is gone was running and starts the dispatcher, the resource
// manager and the monitor (job masters take those jobs over), every control message stamped with
// its epoch. The moment it may have lost the lease it stops them all, and stands by again.
// Records JetStream cannot give yet (a stream electing its leader after a server's restart) are
// asked for again while the lease holds: a cluster briefly without quorum is ridden out.

import type { NatsConnection } from "@nats-io/transport-node";
import type { ActorDeps } from "../actors/actor-deps.ts";
import type { LeaseTimings } from "../coordinator/leader-lease.ts";
import type { JobRecord, JobStore } from "../coordinator/job-record.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../observability/logger.ts";
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
  /** How long a new leader keeps asking for the job records before it gives up and fails (ms; default 120 s). */
  recordsPatienceMs?: number;
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
    const holds = () => !stopped && election.epoch() === epoch;
    const takeovers = await readRecords(jobStore, holds, { clock: deps.clock, log: deps.log, epoch, patienceMs: ha.recordsPatienceMs ?? RECORDS_PATIENCE_MS });
    // The lease may have been lost while the records were read: only the current leader starts.
    if (takeovers === undefined || !holds()) return;
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

/** Default patience of a new leader with job records JetStream does not give (ms). */
const RECORDS_PATIENCE_MS = 120_000;
/** How often a new leader asks again for job records JetStream did not give (ms). */
const RECORDS_RETRY_MS = 1000;

/**
 * The job records, asked for again every second while `holds()` (the lease is this process's):
 * undefined once it does not. Fails, with what was tried, after `patienceMs` of failures.
 */
async function readRecords(jobStore: JobStore, holds: () => boolean, context: { clock: Clock; log: Logger; epoch: number; patienceMs: number }): Promise<JobRecord[] | undefined> {
  const { clock, log, epoch, patienceMs } = context;
  const since = clock.now();
  for (let failures = 0; holds(); failures++) {
    try {
      const records = await jobStore.loadAll();
      if (failures > 0) log.info({ epoch, failures }, "read the job records");
      return records;
    } catch (error) {
      const waited = clock.now() - since;
      if (waited >= patienceMs) throw new Error(`could not read the job records from JetStream for ${Math.round(waited / 1000)} s (${(error as Error).message}): is JetStream up on a quorum of the NATS servers?`);
      // Said once: JetStream answers again within seconds after a server's restart.
      if (failures === 0) log.warn({ err: error, epoch }, "could not read the job records (JetStream may be electing leaders after a NATS server's restart); asking again every second while this process holds the lease");
      await new Promise<void>((resolve) => clock.setTimeout(resolve, RECORDS_RETRY_MS));
    }
  }
  return undefined;
}
