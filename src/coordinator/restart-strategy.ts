// Restart strategies (Flink's restart-strategy.*), as pure decisions: given the failures so far
// and the time, restart (after how long) or give up (and why).

import type { RestartStrategyConfig } from "../messages/schema.ts";

export type { RestartStrategyConfig } from "../messages/schema.ts";

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; reason: string };

export interface FailureHistory {
  /** Times (ms) of the failures so far, oldest first, including the one being decided. */
  failures: readonly number[];
}

export function checkRestartStrategy(config: RestartStrategyConfig): void {
  const bad = (what: string) => {
    throw new Error(`bad restart strategy ${config.kind}: ${what}`);
  };
  switch (config.kind) {
    case "none":
      return;
    case "fixed-delay":
      if (!Number.isInteger(config.attempts) || config.attempts < 0) bad(`attempts ${config.attempts} must be an integer >= 0`);
      if (!(config.delayMs >= 0)) bad(`delay ${config.delayMs} ms must be >= 0`);
      return;
    case "failure-rate":
      if (!Number.isInteger(config.maxFailuresPerInterval) || config.maxFailuresPerInterval < 1) bad("maxFailuresPerInterval must be an integer >= 1");
      if (!(config.intervalMs > 0)) bad("interval must be > 0 ms");
      if (!(config.delayMs >= 0)) bad("delay must be >= 0 ms");
      return;
    case "exponential-delay":
      if (!(config.initialBackoffMs > 0)) bad("initial backoff must be > 0 ms");
      if (!(config.maxBackoffMs >= config.initialBackoffMs)) bad("max backoff must be >= the initial backoff");
      if (!(config.multiplier >= 1)) bad("multiplier must be >= 1");
      return;
  }
}

export function decideRestart(config: RestartStrategyConfig, history: FailureHistory, now: number): RestartDecision {
  const failures = history.failures.length;
  switch (config.kind) {
    case "none":
      return { restart: false, reason: "the restart strategy is none" };
    case "fixed-delay":
      return failures <= config.attempts
        ? { restart: true, delayMs: config.delayMs }
        : { restart: false, reason: `${failures} failures exceed the ${config.attempts} restart attempts of fixed-delay` };
    case "failure-rate": {
      const recent = history.failures.filter((t) => now - t < config.intervalMs).length;
      return recent <= config.maxFailuresPerInterval
        ? { restart: true, delayMs: config.delayMs }
        : { restart: false, reason: `${recent} failures within ${config.intervalMs} ms exceed failure-rate's ${config.maxFailuresPerInterval}` };
    }
    case "exponential-delay": {
      if (config.attempts !== undefined && failures > config.attempts) return { restart: false, reason: `${failures} failures exceed ${config.attempts} attempts` };
      // Failures after a long enough quiet run start the backoff again.
      let streak = 0;
      for (let i = failures - 1; i >= 0; i--) {
        streak += 1;
        if (i > 0 && history.failures[i] - history.failures[i - 1] >= config.resetBackoffThresholdMs) break;
      }
      const delayMs = Math.min(config.maxBackoffMs, config.initialBackoffMs * config.multiplier ** (streak - 1));
      return { restart: true, delayMs };
    }
  }
}
