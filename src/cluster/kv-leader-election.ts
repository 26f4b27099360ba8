// Leader election's I/O: holds the lease key of a JetStream KV bucket whose entries live `ttlMs`
// (create = acquire, update at the last revision = renew, both compare-and-set), driving the pure
// decisions of coordinator/leader-lease.ts on a tick. Calls onLead(epoch) when this process
// becomes the leader and onStepDown(epoch, reason) the moment it may no longer be.

import { bucketReplicas } from "../bus/bucket-replicas.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { initialLease, leaseStep, leaseTimingProblems, type LeaseEffect, type LeaseEvent, type LeaseState, type LeaseTimings } from "../coordinator/leader-lease.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../observability/logger.ts";

export const LEADER_BUCKET = "weir-leader";
const LEASE_KEY = "jobmanager";

/** Defaults: a dead leader's lease lapses within 3 s; renewed every second; standbys try every 500 ms. */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { ttlMs: 3000, renewEveryMs: 1000, retryEveryMs: 500 };

export interface LeaderElectionOptions {
  nats: NatsConnection;
  clock: Clock;
  log: Logger;
  /** Who asks: written into the lease, for people reading the bucket. */
  holder: string;
  timings?: LeaseTimings;
  bucket?: string;
  onLead: (epoch: number) => void;
  onStepDown: (epoch: number, reason: string) => void;
}

export interface LeaderElection {
  /** The epoch this process leads with, if it leads. */
  epoch(): number | undefined;
  /** Steps down (releasing the lease for a standby to take at once) and stops trying. */
  stop(): Promise<void>;
}

export async function startLeaderElection(options: LeaderElectionOptions): Promise<LeaderElection> {
  const timings = options.timings ?? DEFAULT_LEASE_TIMINGS;
  const problems = leaseTimingProblems(timings);
  if (problems.length > 0) throw new Error(`leader election: ${problems.join("; ")}`);
  const { clock, log } = options;
  const bucket = options.bucket ?? LEADER_BUCKET;
  // The bucket's max age is the lease's lifetime: an entry nobody renews is gone after ttlMs.
  // Replicated on a cluster: the lease must outlive a NATS server. (A bucket made with another TTL is an error here: every job manager must agree on it.)
  const kv: KV = await new Kvm(options.nats).create(bucket, { history: 1, ttl: timings.ttlMs, description: "weir: the leading job manager's lease", replicas: bucketReplicas(options.nats) });
  const lease = () => new TextEncoder().encode(JSON.stringify({ holder: options.holder, renewedAt: new Date(clock.now()).toISOString() }));
  let state: LeaseState = initialLease(clock.now());
  let released: Promise<unknown> = Promise.resolve();
  let timer: unknown;

  const handle = (event: LeaseEvent) => {
    const step = leaseStep(state, event, timings);
    state = step.state;
    for (const effect of step.effects) run(effect);
  };
  const run = (effect: LeaseEffect) => {
    const sentAt = clock.now();
    switch (effect.kind) {
      case "acquire":
        kv.create(LEASE_KEY, lease()).then(
          (revision) => handle({ type: "acquired", revision, sentAt, now: clock.now() }),
          (error: Error) => handle(/wrong last sequence/i.test(error.message) ? { type: "held", now: clock.now() } : { type: "acquire-failed", reason: error.message, now: clock.now() }),
        );
        return;
      case "renew":
        kv.update(LEASE_KEY, lease(), effect.revision, timings.renewEveryMs).then(
          (revision) => handle({ type: "renewed", revision, sentAt, now: clock.now() }),
          (error: Error) => handle({ type: "renew-failed", reason: error.message, taken: /wrong last sequence/i.test(error.message), now: clock.now() }),
        );
        return;
      case "lead":
        log.info({ epoch: effect.epoch, bucket }, "this job manager leads");
        options.onLead(effect.epoch);
        return;
      case "step-down":
        log.warn({ epoch: effect.epoch, reason: effect.reason }, "this job manager steps down");
        options.onStepDown(effect.epoch, effect.reason);
        return;
      case "release":
        released = kv.delete(LEASE_KEY, { previousSeq: effect.revision }).catch((error: Error) => log.warn({ err: error }, "could not release the lease: a standby takes over once it lapses"));
        return;
    }
  };
  const tick = () => {
    handle({ type: "tick", now: clock.now() });
    if (state.kind !== "stopped") timer = clock.setTimeout(tick, TICK_MS);
  };
  tick();
  return {
    epoch: () => (state.kind === "leading" ? state.epoch : undefined),
    async stop() {
      clock.clearTimeout(timer);
      handle({ type: "stop", now: clock.now() });
      await released;
    },
  };
}

/** How often the lease's clock is looked at (ms): well below every lease timing. */
const TICK_MS = 100;
