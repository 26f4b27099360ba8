// What an attached `weir run --nats` says while its job runs: one status line (state, records/s
// in and out, the last completed checkpoint, restarts) built from the monitor's job view. On a
// terminal it is rewritten in place every second; otherwise a plain line every few seconds.

import type { JobDetails } from "../observability/views.ts";
import { duration, rate } from "./format.ts";

/**
 * The status line of a running job; `now` is the time the view's times are compared with.
 * @example
 * formatRunStatus(await queries.job(id), Date.now());
 * // "job 3f2a… running: in 1.2k/s, out 1.2k/s, checkpoint 7 (3s ago), 0 restarts"
 */
export function formatRunStatus(job: JobDetails, now: number): string {
  const feeding = new Set(job.plan.edges.map((e) => e.source));
  const recordsIn = job.plan.vertices.filter((v) => v.isSource).reduce((sum, v) => sum + v.metrics.recordsOutPerSecond, 0);
  const recordsOut = job.plan.vertices.filter((v) => !feeding.has(v.id)).reduce((sum, v) => sum + v.metrics.recordsInPerSecond, 0);
  const last = job.checkpoints.history.find((c) => c.status === "completed" && !c.savepoint);
  const checkpoint = last ? `checkpoint ${last.id} (${duration(Math.max(0, now - (last.triggeredAt + last.durationMs)))} ago)` : "no checkpoint yet";
  return `job ${job.id} ${job.status}: in ${rate(recordsIn)}, out ${rate(recordsOut)}, ${checkpoint}, ${job.restarts} restart(s)`;
}

export interface ProgressOptions {
  /** Asks for the job's view, e.g. `() => busClusterQueries(bus).job(id)`. */
  fetchJob: () => Promise<JobDetails>;
  /** Rewrite one line in place (a terminal) rather than print a line each time. */
  tty: boolean;
  intervalMs: number;
  write: (text: string) => void;
  /** The terminal's width: a longer in-place line is cut, since a wrapped one cannot be rewritten. */
  columns?: number;
}

/** Reports the job's status every `intervalMs` until stopped; a failed query skips a report. */
export function startProgressReporter(options: ProgressOptions): { stop: () => void } {
  let shown = false;
  let stopped = false;
  const report = async () => {
    let line: string;
    try {
      const job = await options.fetchJob();
      // While it waits for slots, the scheduling progress line says what it waits for instead.
      if (job.status === "scheduling" || job.status === "created") return;
      line = formatRunStatus(job, Date.now());
    } catch {
      return;
    }
    if (stopped) return;
    shown = true;
    // A terminal of unknown size reports 0 columns: then the line is left whole.
    const width = options.columns !== undefined && options.columns > 0 ? options.columns : Number.POSITIVE_INFINITY;
    options.write(options.tty ? `\r${line.length >= width ? `${line.slice(0, width - 2)}…` : line}\x1b[K` : `${line}\n`);
  };
  const timer = setInterval(() => void report(), options.intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      // The in-place line is cleared, so what follows starts on a clean line.
      if (options.tty && shown) options.write("\r\x1b[K");
    },
  };
}
