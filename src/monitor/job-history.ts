// Where the monitor keeps ended jobs beyond its own life, so a job manager that restarts still
// lists them (a JetStream key-value bucket in a cluster: src/cluster/kv-job-history.ts).

import type { JobDetails } from "../observability/views.ts";

export interface JobHistory {
  /** The ended jobs kept so far (the newest MAX_ENDED_JOBS at most). */
  load(): Promise<JobDetails[]>;
  save(job: JobDetails): Promise<void>;
}
