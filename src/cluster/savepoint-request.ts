// Asks a running job's checkpoint coordinator for a savepoint and waits for its location, following
// the job's status meanwhile. A job that fails over, or is taken over by a new leading job manager,
// loses the savepoints in flight without an answer: the request goes again once the job runs. A job
// stopped with a savepoint whose answer was lost (its leader killed after the savepoint) ends
// `finished` with the savepoint's location, which is the answer.

import type { Bus } from "../bus/bus.ts";
import { subjects } from "../bus/subjects.ts";
import { decode } from "../messages/codec.ts";
import { hasEnded, type JobStatusChanged } from "../messages/schema.ts";
import { askForSavepoint, savepointFolder, type SavepointAnswer } from "../actors/job-savepoint.ts";

/** How long an answer may come after the job's status changed (ms). */
const ANSWER_GRACE_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** How many times a savepoint is asked for when the job restarts while it is taken. */
export const SAVEPOINT_ATTEMPTS = 3;

type Outcome = SavepointAnswer | { kind: "status"; status: JobStatusChanged };

/**
 * Asks for a savepoint under `dir` (optionally stopping the job) and resolves with its location;
 * asks again, up to SAVEPOINT_ATTEMPTS times, when the job restarts before it is answered.
 */
export async function requestSavepoint(bus: Bus, jobId: string, dir: string, stop?: "drain" | "terminate", timeoutMs = 10 * 60_000): Promise<string> {
  const statuses = followStatus(bus, jobId);
  try {
    for (let attempt = 1; ; attempt++) {
      const target = savepointFolder(dir, jobId);
      const request = askForSavepoint(bus, jobId, target, stop, timeoutMs);
      let outcome = await Promise.race([request, statuses.next((s) => s.status !== "running").then((status): Outcome => ({ kind: "status", status }))]);
      // A stop's answer and the job's end come together: the answer, if it comes, wins.
      if (outcome.kind === "status") outcome = await Promise.race([request, sleep(ANSWER_GRACE_MS).then(() => outcome)]);
      if (outcome.kind === "location") return outcome.location;
      // Between two executions nobody serves the request; otherwise the job is not running at all.
      const status = outcome.kind === "status" ? outcome.status : statuses.latest();
      if (status === undefined || status.status === "running") throw new Error(`job ${jobId} is not running (no checkpoint coordinator answered): a savepoint needs a running job`);
      // Running again (or ended) already, while the answer was waited for: no need to wait for it.
      const latest = statuses.latest();
      const settled = latest !== undefined && (latest.status === "running" || hasEnded(latest.status)) ? latest : undefined;
      const next = hasEnded(status.status) ? status : (settled ?? (await statuses.next((s) => s.status === "running" || hasEnded(s.status), timeoutMs)));
      if (next.status === "finished" && next.stoppedWithSavepoint !== undefined && stop !== undefined) return next.stoppedWithSavepoint;
      if (hasEnded(next.status)) throw new Error(`job ${jobId} ended (${next.status}${next.error ? `: ${next.error}` : ""}) before the savepoint completed`);
      if (attempt >= SAVEPOINT_ATTEMPTS) throw new Error(`job ${jobId} restarted ${attempt} times while a savepoint was taken (${status.detail ?? status.error ?? status.status}); ask again`);
    }
  } finally {
    statuses.stop();
  }
}

interface StatusFollower {
  /** The latest status heard since following began. */
  latest(): JobStatusChanged | undefined;
  /** The next status heard that `matches` (a rejection after `timeoutMs`, when given). */
  next(matches: (status: JobStatusChanged) => boolean, timeoutMs?: number): Promise<JobStatusChanged>;
  stop(): void;
}

function followStatus(bus: Bus, jobId: string): StatusFollower {
  let latest: JobStatusChanged | undefined;
  let waiters: { matches: (status: JobStatusChanged) => boolean; resolve: (status: JobStatusChanged) => void }[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const subscription = bus.subscribe(subjects.jobStatus(jobId), (data) => {
    const decoded = decode(data, ["job-status"]);
    if (!decoded.ok) return;
    latest = decoded.message;
    const ready = waiters.filter((w) => w.matches(decoded.message));
    waiters = waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(decoded.message);
  });
  return {
    latest: () => latest,
    next: (matches, timeoutMs) =>
      new Promise((resolve, reject) => {
        const waiter = { matches, resolve };
        waiters.push(waiter);
        if (timeoutMs === undefined) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          waiters = waiters.filter((w) => w !== waiter);
          reject(new Error(`job ${jobId} did not run again within ${timeoutMs} ms for its savepoint`));
        }, timeoutMs);
        timers.add(timer);
        waiter.resolve = (status) => {
          clearTimeout(timer);
          timers.delete(timer);
          resolve(status);
        };
      }),
    stop: () => {
      subscription.unsubscribe();
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
