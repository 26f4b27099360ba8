// When to trigger a checkpoint, as pure decisions over a small value: the periodic interval, the
// minimum pause after the last one ended, the maximum number in flight, timeouts, and how many
// failures in a row are tolerated before the job fails. The CheckpointCoordinator actor asks it
// and does the I/O.

export interface CheckpointConfig {
  intervalMs: number;
  timeoutMs: number;
  minPauseMs: number;
  maxConcurrent: number;
  /** Consecutive failed checkpoints tolerated; one more fails the job. */
  tolerableFailures: number;
}

export interface PlannerState {
  nextId: number;
  /** In flight: id → trigger time. */
  inFlight: Readonly<Record<number, number>>;
  lastTriggeredAt: number;
  /** When the last checkpoint completed or failed (for the minimum pause). */
  lastEndedAt: number;
  consecutiveFailures: number;
}

export const initialPlannerState: PlannerState = { nextId: 1, inFlight: {}, lastTriggeredAt: -Infinity, lastEndedAt: -Infinity, consecutiveFailures: 0 };

export type TriggerDecision = { trigger: true; checkpointId: number; state: PlannerState } | { trigger: false; retryAt: number; why: string };

export function checkConfig(config: CheckpointConfig): void {
  const problems: string[] = [];
  if (!(config.intervalMs >= 10)) problems.push(`interval ${config.intervalMs} ms (use at least 10 ms)`);
  if (!(config.timeoutMs > 0)) problems.push(`timeout ${config.timeoutMs} ms (must be > 0)`);
  if (!(config.minPauseMs >= 0)) problems.push(`min pause ${config.minPauseMs} ms (must be >= 0)`);
  if (!Number.isInteger(config.maxConcurrent) || config.maxConcurrent < 1) problems.push(`max concurrent ${config.maxConcurrent} (must be an integer >= 1)`);
  if (!Number.isInteger(config.tolerableFailures) || config.tolerableFailures < 0) problems.push(`tolerable failures ${config.tolerableFailures} (must be an integer >= 0)`);
  if (problems.length > 0) throw new Error(`bad checkpoint configuration: ${problems.join("; ")}`);
}

/** Whether a periodic trigger may fire at `now`. */
export function decideTrigger(config: CheckpointConfig, state: PlannerState, now: number): TriggerDecision {
  const inFlight = Object.keys(state.inFlight).length;
  if (inFlight >= config.maxConcurrent) return { trigger: false, retryAt: now + config.intervalMs, why: `${inFlight} checkpoint(s) in flight` };
  const pauseUntil = state.lastEndedAt + config.minPauseMs;
  if (config.minPauseMs > 0 && now < pauseUntil) return { trigger: false, retryAt: pauseUntil, why: "minimum pause between checkpoints" };
  const due = state.lastTriggeredAt + config.intervalMs;
  if (now < due) return { trigger: false, retryAt: due, why: "interval not elapsed" };
  const checkpointId = state.nextId;
  return { trigger: true, checkpointId, state: { ...state, nextId: checkpointId + 1, inFlight: { ...state.inFlight, [checkpointId]: now }, lastTriggeredAt: now } };
}

export function completed(state: PlannerState, checkpointId: number, now: number): PlannerState {
  const { [checkpointId]: _done, ...inFlight } = state.inFlight;
  return { ...state, inFlight, lastEndedAt: now, consecutiveFailures: 0 };
}

export type FailureDecision = { state: PlannerState; failJob: false } | { state: PlannerState; failJob: true; reason: string };

/** A checkpoint failed (declined, timed out, a task failed while it ran). */
export function failed(config: CheckpointConfig, state: PlannerState, checkpointId: number, now: number, reason: string): FailureDecision {
  if (!(checkpointId in state.inFlight)) return { state, failJob: false };
  const { [checkpointId]: _gone, ...inFlight } = state.inFlight;
  const next = { ...state, inFlight, lastEndedAt: now, consecutiveFailures: state.consecutiveFailures + 1 };
  if (next.consecutiveFailures > config.tolerableFailures) {
    return { state: next, failJob: true, reason: `${next.consecutiveFailures} checkpoint(s) failed in a row (tolerable: ${config.tolerableFailures}); last: ${reason}` };
  }
  return { state: next, failJob: false };
}

/** Checkpoints in flight for longer than the timeout. */
export function timedOut(config: CheckpointConfig, state: PlannerState, now: number): number[] {
  return Object.entries(state.inFlight)
    .filter(([, at]) => now - at >= config.timeoutMs)
    .map(([id]) => Number(id))
    .sort((a, b) => a - b);
}
