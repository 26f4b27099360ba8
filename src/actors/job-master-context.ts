// The job master's input and context: what its machine (job-master.ts) starts from and keeps.

import type { CheckpointMetadata } from "../checkpoint/checkpoint-metadata.ts";
import type { KeptCheckpoint } from "../checkpoint/retention.ts";
import type { TrackedCheckpointStorage } from "../checkpoint/tracked-storage.ts";
import type { JobFigures, JobRecord, JobStore } from "../coordinator/job-record.ts";
import type { ReactiveState } from "../coordinator/rescale-plan.ts";
import type { RestartDecision } from "../coordinator/restart-strategy.ts";
import type { TaskTracker } from "../coordinator/task-tracker.ts";
import type { SubmitJob } from "../messages/schema.ts";
import type { Source } from "../operators/source.ts";
import type { ActorDeps } from "./actor-deps.ts";
import type { Leftovers } from "./job-master-takeover.ts";
import type { JobLoader } from "./subtask.ts";

export interface JobMasterInput {
  deps: ActorDeps;
  submission: SubmitJob;
  /** How long to wait for enough slots before failing the job. */
  slotRequestTimeoutMs?: number;
  /** Where the job's record is kept for a job manager that takes over (absent: no leader election). */
  jobStore?: JobStore;
  /** The job is taken over from a leader that is gone: its old execution is canceled, then it restores its latest checkpoint. */
  takeover?: JobRecord;
  /** Loads the job's code, for sources with a split enumerator (which runs beside the job master). */
  loadJob?: JobLoader;
  /** Reactive mode: the job runs at the parallelism of the slots there are (capped by its max parallelism). */
  reactive?: boolean;
}

/** A rescale under way: the job as it will run, and what it restores. */
export interface RescaleInFlight {
  next: SubmitJob;
  /** Who asked (`weir rescale`): answered once the job runs again. */
  reply?: string;
  /** Reactive growth: from the latest completed checkpoint; otherwise from the savepoint being taken. */
  fromCheckpoint: boolean;
  savepoint?: { metadata: CheckpointMetadata; location: string };
}

export interface JobMasterContext {
  deps: ActorDeps;
  submission: SubmitJob;
  slotRequestTimeoutMs: number;
  tracker: TaskTracker;
  error?: string;
  /** Executions so far minus one: the attempt number of the subtasks deployed next. */
  attempt: number;
  failureTimes: number[];
  restart?: RestartDecision;
  storage?: TrackedCheckpointStorage;
  /** What the next deployment restores: the latest completed checkpoint, else the savepoint the job started from. */
  restoreFrom?: CheckpointMetadata;
  nextCheckpointId: number;
  kept: KeptCheckpoint[];
  savepointsInFlight: number;
  /** Vertices of the pipelined regions being failed over while the rest of the job runs on. */
  recovering: string[];
  /** The cause of the last regional failover (a global failure keeps its cause in `error`). */
  lastFailure?: string;
  /** Stopped with this savepoint, without drain: the subtasks are canceled and the job ends finished. */
  stoppedWith?: string;
  jobStore?: JobStore;
  takeover?: JobRecord;
  /** The latest completed checkpoint's id and location, as the job's record keeps it. */
  latestCheckpoint?: { id: number; location: string };
  /** Its start, restarts and exceptions, as the job's record keeps them for a job manager that takes over. */
  figures: JobFigures;
  /** Taking over: subtasks of the old execution the workers announced, by task key. */
  leftovers: Leftovers;
  /** Taking over: the workers have had time to announce every subtask they run. */
  reclaimWindowOver: boolean;
  /** Taking over: canceled meanwhile; the old execution's subtasks are still stopped, then the job ends canceled. */
  canceledWhileReclaiming?: boolean;
  loadJob?: JobLoader;
  /** The Source of each vertex with a split enumerator (loaded from the job's code). */
  sources: Record<string, Source<unknown>>;
  reactive: boolean;
  reactiveState: ReactiveState;
  rescale?: RescaleInFlight;
}
