// Leader election by a lease, as pure decisions: a job manager leads while it holds one key of a
// JetStream KV bucket whose entries expire after the lease's time to live. Receives what the KV
// said (acquired, held by another, renewed, failed) and clock ticks; returns the next state and
// the effects to run (try to acquire, renew with the last revision, lead, step down, release).
//
//   standby ─tick─▶ acquiring ─acquired─▶ leading ─key taken / lease ran out / stop─▶ standby
//      ▲               └─held by another / failed─┘                  (step down at once)
//
// A renewal that failed without the key being taken (JetStream did not answer: a server's restart,
// a stream electing its leader) is tried again while the lease is still valid.
//
// The lease's revision when acquired is the leader's epoch: revisions only grow, so a later leader
// always has a higher epoch than any earlier one. Renewals take revisions too, so epochs skip numbers.

export interface LeaseTimings {
  /** How long a lease lives without a renewal: a dead leader's lapses after this long (ms). */
  ttlMs: number;
  /** How often the leader renews (ms); well below ttlMs, so one slow renewal does not lose it. */
  renewEveryMs: number;
  /** How often a standby tries to acquire (ms). */
  retryEveryMs: number;
}

export type LeaseState =
  | { kind: "standby"; nextTryAt: number; attempting: boolean }
  | {
      kind: "leading";
      epoch: number;
      /** The revision of the lease as last written: the renewal's compare-and-set expects it. */
      revision: number;
      /** When the lease may have lapsed, by this process's clock: counted from the request that last wrote it. */
      validUntil: number;
      nextRenewAt: number;
      renewing?: { sentAt: number };
      /** Why the last renewal failed, when JetStream did not answer it: said if the lease runs out. */
      renewFailure?: string;
    }
  | { kind: "stopped" };

export type LeaseEvent =
  | { type: "tick"; now: number }
  /** The create succeeded: this process holds the lease at `revision` (requested at `sentAt`). */
  | { type: "acquired"; revision: number; sentAt: number; now: number }
  /** The create failed because another holds the lease. */
  | { type: "held"; holder?: string; now: number }
  | { type: "acquire-failed"; reason: string; now: number }
  | { type: "renewed"; revision: number; sentAt: number; now: number }
  /** The update was refused because the revision moved (`taken`: another wrote the key) or did not complete. */
  | { type: "renew-failed"; reason: string; taken: boolean; now: number }
  | { type: "stop"; now: number };

export type LeaseEffect =
  | { kind: "acquire" }
  | { kind: "renew"; revision: number }
  | { kind: "lead"; epoch: number }
  | { kind: "step-down"; epoch: number; reason: string }
  /** Delete the lease (only at `revision`): a stopping leader lets a standby take over at once. */
  | { kind: "release"; revision: number };

export interface LeaseStep {
  state: LeaseState;
  effects: LeaseEffect[];
}

export function initialLease(now: number): LeaseState {
  return { kind: "standby", nextTryAt: now, attempting: false };
}

/** The checks that keep the timings sane: a lease renewed less often than it lives, and positive figures. */
export function leaseTimingProblems(timings: LeaseTimings): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(timings)) if (!(Number.isFinite(value) && value > 0)) problems.push(`${name} must be a positive number of milliseconds (got ${value})`);
  if (timings.renewEveryMs * 2 > timings.ttlMs) problems.push(`the lease is renewed every ${timings.renewEveryMs} ms but lives ${timings.ttlMs} ms: renew at least twice per lifetime`);
  return problems;
}

/** One step of the lease: the next state and what to do. */
export function leaseStep(state: LeaseState, event: LeaseEvent, timings: LeaseTimings): LeaseStep {
  if (state.kind === "stopped") return { state, effects: [] };
  if (event.type === "stop") {
    return state.kind === "leading"
      ? { state: { kind: "stopped" }, effects: [{ kind: "step-down", epoch: state.epoch, reason: "stopping" }, { kind: "release", revision: state.revision }] }
      : { state: { kind: "stopped" }, effects: [] };
  }
  return state.kind === "standby" ? standbyStep(state, event, timings) : leadingStep(state, event, timings);
}

function standbyStep(state: Extract<LeaseState, { kind: "standby" }>, event: LeaseEvent, timings: LeaseTimings): LeaseStep {
  switch (event.type) {
    case "tick":
      if (state.attempting || event.now < state.nextTryAt) return { state, effects: [] };
      return { state: { ...state, attempting: true }, effects: [{ kind: "acquire" }] };
    case "acquired": {
      if (!state.attempting) return { state, effects: [] };
      // Held from when it was asked for: a slow answer shortens the lease, never lengthens it.
      const leading: LeaseState = { kind: "leading", epoch: event.revision, revision: event.revision, validUntil: event.sentAt + timings.ttlMs, nextRenewAt: event.sentAt + timings.renewEveryMs };
      if (event.now >= leading.validUntil) return { state: { kind: "standby", nextTryAt: event.now, attempting: false }, effects: [] };
      return { state: leading, effects: [{ kind: "lead", epoch: event.revision }] };
    }
    case "held":
    case "acquire-failed":
      return { state: { kind: "standby", nextTryAt: event.now + timings.retryEveryMs, attempting: false }, effects: [] };
    default:
      return { state, effects: [] };
  }
}

function leadingStep(state: Extract<LeaseState, { kind: "leading" }>, event: LeaseEvent, timings: LeaseTimings): LeaseStep {
  const stepDown = (now: number, reason: string): LeaseStep => ({ state: { kind: "standby", nextTryAt: now + timings.retryEveryMs, attempting: false }, effects: [{ kind: "step-down", epoch: state.epoch, reason }] });
  switch (event.type) {
    case "tick":
      // Not renewed in time (a stalled process, a renewal that hangs): another may hold it now.
      if (event.now >= state.validUntil) return stepDown(event.now, `the lease was not renewed within ${timings.ttlMs} ms${state.renewFailure === undefined ? "" : ` (the last renewal failed: ${state.renewFailure})`}`);
      if (state.renewing || event.now < state.nextRenewAt) return { state, effects: [] };
      return { state: { ...state, renewing: { sentAt: event.now } }, effects: [{ kind: "renew", revision: state.revision }] };
    case "renewed": {
      if (!state.renewing) return { state, effects: [] };
      const validUntil = event.sentAt + timings.ttlMs;
      if (event.now >= validUntil) return stepDown(event.now, "the renewal came back after the lease had run out");
      return { state: { ...state, revision: event.revision, validUntil, nextRenewAt: event.sentAt + timings.renewEveryMs, renewing: undefined, renewFailure: undefined }, effects: [] };
    }
    case "renew-failed":
      if (!state.renewing) return { state, effects: [] };
      // At once: the key is another's now, and a leader must not act on a lease it lost.
      if (event.taken) return stepDown(event.now, `renewing the lease failed: ${event.reason}`);
      // Nobody else can hold it before validUntil (the tick steps down then): ask again soon.
      return { state: { ...state, renewing: undefined, nextRenewAt: event.now + timings.retryEveryMs, renewFailure: event.reason }, effects: [] };
    default:
      return { state, effects: [] };
  }
}
