// While an attached `weir run` waits for its job: notices within seconds that no job manager
// answers any more, says so, says when one answers again, and gives up when the job manager that
// answers no longer knows the job (it restarted without --ha; with several job managers a standby
// takes the job over and knows it, and the job's own status says so).

import { NoJobManagerError } from "../cluster/bus-cluster-queries.ts";
import { UnknownJobError } from "../cluster/cluster-queries.ts";

export interface JobManagerWatchOptions {
  jobId: string;
  nats: string;
  /** Asks the job manager about the job (rejects with NoJobManagerError / UnknownJobError). */
  fetchJob: () => Promise<unknown>;
  intervalMs: number;
  write: (line: string) => void;
  /** The job manager that answers does not know the job: the run cannot end by itself. */
  onJobForgotten: () => void;
}

export function watchJobManager(options: JobManagerWatchOptions): { stop: () => void } {
  const { jobId, nats, write } = options;
  let missing = false;
  let stopped = false;
  const check = async () => {
    try {
      await options.fetchJob();
      if (missing && !stopped) write(`the job manager answers again; following job ${jobId}\n`);
      missing = false;
    } catch (error) {
      if (stopped) return;
      if (error instanceof NoJobManagerError) {
        if (!missing) write(`no job manager answers on ${nats} (was it stopped?); waiting for one. The job's subtasks may still be running on the workers\n`);
        missing = true;
      } else if (error instanceof UnknownJobError && missing) {
        write(`the job manager on ${nats} no longer knows job ${jobId} (it restarted, and only job managers started with --ha take running jobs over); its subtasks may still run on the workers: restart them to stop it\n`);
        options.onJobForgotten();
      }
    }
  };
  const timer = setInterval(() => void check(), options.intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
