// The leader lease's decisions as traces: ticks and what the KV answered go in, the effects come
// out (acquire, renew with the last revision, lead with the epoch, step down, release).

import { describe, expect, it } from "vitest";
import { initialLease, leaseStep, leaseTimingProblems, type LeaseEffect, type LeaseEvent, type LeaseState } from "../../src/coordinator/leader-lease.ts";

const timings = { ttlMs: 3000, renewEveryMs: 1000, retryEveryMs: 500 };

/** Runs `events` from a fresh standby at time 0; returns every step's effects (as short strings) and the last state. */
function trace(events: LeaseEvent[]): { effects: string[][]; state: LeaseState } {
  let state = initialLease(0);
  const effects: string[][] = [];
  for (const event of events) {
    const step = leaseStep(state, event, timings);
    state = step.state;
    effects.push(step.effects.map(show));
  }
  return { effects, state };
}

function show(effect: LeaseEffect): string {
  switch (effect.kind) {
    case "acquire":
      return "acquire";
    case "renew":
      return `renew@${effect.revision}`;
    case "lead":
      return `lead#${effect.epoch}`;
    case "step-down":
      return `step-down#${effect.epoch}: ${effect.reason}`;
    case "release":
      return `release@${effect.revision}`;
  }
}


const tick = (now: number): LeaseEvent => ({ type: "tick", now });

describe("the leader lease", () => {
  it("a standby that acquires the lease leads with the lease's revision as its epoch, and renews with the last revision", () => {
    const { effects, state } = trace([tick(0), { type: "acquired", revision: 7, sentAt: 0, now: 5 }, tick(500), tick(1000), { type: "renewed", revision: 9, sentAt: 1000, now: 1010 }, tick(1500), tick(2000)]);
    expect(effects).toEqual([["acquire"], ["lead#7"], [], ["renew@7"], [], [], ["renew@9"]]);
    expect(state).toMatchObject({ kind: "leading", epoch: 7, revision: 9, validUntil: 4000 });
  });

  it("a lease seen held by another keeps the process standing by, trying again after the retry interval", () => {
    const { effects, state } = trace([tick(0), { type: "held", holder: "jm-a", now: 10 }, tick(200), tick(510), { type: "held", now: 520 }, tick(1020), { type: "acquired", revision: 12, sentAt: 1020, now: 1030 }]);
    expect(effects).toEqual([["acquire"], [], [], ["acquire"], [], ["acquire"], ["lead#12"]]);
    expect(state).toMatchObject({ kind: "leading", epoch: 12 });
  });

  it("a renewal refused because another wrote the key steps down at once, and the process stands by again", () => {
    const { effects, state } = trace([tick(0), { type: "acquired", revision: 3, sentAt: 0, now: 1 }, tick(1000), { type: "renew-failed", reason: "wrong last sequence: 5", taken: true, now: 1002 }, tick(1100), tick(1502)]);
    expect(effects).toEqual([["acquire"], ["lead#3"], ["renew@3"], ["step-down#3: renewing the lease failed: wrong last sequence: 5"], [], ["acquire"]]);
    expect(state).toMatchObject({ kind: "standby", attempting: true });
  });

  it("a renewal JetStream did not answer is tried again while the lease is valid: the leader rides out a brief outage", () => {
    const failed = (now: number): LeaseEvent => ({ type: "renew-failed", reason: "jetstream is not enabled", taken: false, now });
    const { effects, state } = trace([tick(0), { type: "acquired", revision: 3, sentAt: 0, now: 1 }, tick(1000), failed(1005), tick(1100), tick(1505), failed(1510), tick(2010), { type: "renewed", revision: 4, sentAt: 2010, now: 2020 }, tick(3010)]);
    expect(effects).toEqual([["acquire"], ["lead#3"], ["renew@3"], [], [], ["renew@3"], [], ["renew@3"], [], ["renew@4"]]);
    expect(state).toMatchObject({ kind: "leading", epoch: 3, revision: 4, validUntil: 5010 });
  });

  it("renewals JetStream does not answer until the lease may have lapsed step down, saying the last failure", () => {
    const failed = (now: number): LeaseEvent => ({ type: "renew-failed", reason: "jetstream is not enabled", taken: false, now });
    const { effects, state } = trace([tick(0), { type: "acquired", revision: 3, sentAt: 0, now: 1 }, tick(1000), failed(1005), tick(1505), failed(1510), tick(2010), failed(2015), tick(2515), failed(2520), tick(3000)]);
    expect(effects.at(-1)).toEqual(["step-down#3: the lease was not renewed within 3000 ms (the last renewal failed: jetstream is not enabled)"]);
    expect(effects.flat().filter((effect) => effect.startsWith("renew"))).toHaveLength(4);
    expect(state.kind).toBe("standby");
  });

  it("a leader whose renewal does not come back steps down when the lease may have expired", () => {
    const { effects } = trace([tick(0), { type: "acquired", revision: 3, sentAt: 0, now: 1 }, tick(1000), tick(2000), tick(2999), tick(3000), { type: "renewed", revision: 4, sentAt: 1000, now: 3001 }]);
    expect(effects).toEqual([["acquire"], ["lead#3"], ["renew@3"], [], [], ["step-down#3: the lease was not renewed within 3000 ms"], []]);
  });

  it("a renewal that comes back after the lease ran out steps down rather than trusting it", () => {
    const { effects } = trace([tick(0), { type: "acquired", revision: 3, sentAt: 0, now: 1 }, tick(1000), { type: "renewed", revision: 4, sentAt: 1000, now: 4200 }]);
    expect(effects).toEqual([["acquire"], ["lead#3"], ["renew@3"], ["step-down#3: the renewal came back after the lease had run out"]]);
  });

  it("an acquisition answered only after the lease's lifetime is not taken as leadership", () => {
    const { effects, state } = trace([tick(0), { type: "acquired", revision: 5, sentAt: 0, now: 3100 }]);
    expect(effects).toEqual([["acquire"], []]);
    expect(state.kind).toBe("standby");
  });

  it("a stopping leader steps down and releases its lease at the revision it holds; a stopped one does nothing more", () => {
    const { effects, state } = trace([tick(0), { type: "acquired", revision: 3, sentAt: 0, now: 1 }, { type: "stop", now: 10 }, tick(2000), { type: "acquired", revision: 9, sentAt: 2000, now: 2001 }]);
    expect(effects).toEqual([["acquire"], ["lead#3"], ["step-down#3: stopping", "release@3"], [], []]);
    expect(state.kind).toBe("stopped");
  });

  it("timings that renew less than twice per lifetime are refused with what to change", () => {
    expect(leaseTimingProblems(timings)).toEqual([]);
    expect(leaseTimingProblems({ ttlMs: 1000, renewEveryMs: 800, retryEveryMs: 100 })).toEqual(["the lease is renewed every 800 ms but lives 1000 ms: renew at least twice per lifetime"]);
    expect(leaseTimingProblems({ ttlMs: 0, renewEveryMs: 1, retryEveryMs: 1 })[0]).toBe("ttlMs must be a positive number of milliseconds (got 0)");
  });
});
