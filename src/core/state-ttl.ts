// State time-to-live (Flink's StateTtlConfig): how long a keyed value lives after it was last
// written (or read), whether an expired value may still be returned, and whether snapshots leave
// expired values out. Pure: the TTL states read the time from the backend's injected clock.

/** When a value's TTL timer restarts. */
export const UpdateType = {
  /** On creation and on every write. */
  OnCreateAndWrite: "OnCreateAndWrite",
  /** On creation, every write and every read. */
  OnReadAndWrite: "OnReadAndWrite",
} as const;
export type UpdateType = (typeof UpdateType)[keyof typeof UpdateType];

/** Whether an expired value that is still stored may be returned (it is removed on that access either way). */
export const StateVisibility = {
  NeverReturnExpired: "NeverReturnExpired",
  ReturnExpiredIfNotCleanedUp: "ReturnExpiredIfNotCleanedUp",
} as const;
export type StateVisibility = (typeof StateVisibility)[keyof typeof StateVisibility];

/**
 * The TTL of a keyed state, set on its descriptor with `enableTimeToLive`. Expired values are
 * removed when they are accessed; with `cleanupFullSnapshot()` snapshots also leave them out.
 * @example
 * const ttl = StateTtlConfig.newBuilder(60_000).setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite).cleanupFullSnapshot().build();
 * const lastSeen = new ValueStateDescriptor<number>("last-seen").enableTimeToLive(ttl);
 */
export class StateTtlConfig {
  static readonly UpdateType = UpdateType;
  static readonly StateVisibility = StateVisibility;

  /** @internal Use `StateTtlConfig.newBuilder(ttlMs)`. */
  constructor(
    readonly ttlMs: number,
    readonly updateType: UpdateType,
    readonly stateVisibility: StateVisibility,
    readonly cleanupInFullSnapshot: boolean,
  ) {}

  /** A builder with Flink's defaults: update on create and write, never return expired values. */
  static newBuilder(ttlMs: number): StateTtlConfigBuilder {
    return new StateTtlConfigBuilder(ttlMs);
  }
}

export class StateTtlConfigBuilder {
  private updateType: UpdateType = UpdateType.OnCreateAndWrite;
  private stateVisibility: StateVisibility = StateVisibility.NeverReturnExpired;
  private cleanupInFullSnapshot = false;

  constructor(private readonly ttlMs: number) {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error(`a state TTL must be a positive number of milliseconds, got ${ttlMs}`);
  }

  setUpdateType(updateType: UpdateType): this {
    this.updateType = updateType;
    return this;
  }
  updateTtlOnCreateAndWrite(): this {
    return this.setUpdateType(UpdateType.OnCreateAndWrite);
  }
  updateTtlOnReadAndWrite(): this {
    return this.setUpdateType(UpdateType.OnReadAndWrite);
  }

  setStateVisibility(visibility: StateVisibility): this {
    this.stateVisibility = visibility;
    return this;
  }
  neverReturnExpired(): this {
    return this.setStateVisibility(StateVisibility.NeverReturnExpired);
  }
  returnExpiredIfNotCleanedUp(): this {
    return this.setStateVisibility(StateVisibility.ReturnExpiredIfNotCleanedUp);
  }

  /** Leaves expired values out of snapshots (the live state is left as it is). */
  cleanupFullSnapshot(): this {
    this.cleanupInFullSnapshot = true;
    return this;
  }

  build(): StateTtlConfig {
    return new StateTtlConfig(this.ttlMs, this.updateType, this.stateVisibility, this.cleanupInFullSnapshot);
  }
}

/** A stored value with the time its TTL last restarted; plain data, so snapshots carry it as is. */
export interface TtlValue<V> {
  value: V;
  timestamp: number;
}

/** A value expires `ttlMs` after its timestamp: at that instant it is already gone (as in Flink). */
export function isExpired(entry: TtlValue<unknown>, ttlMs: number, now: number): boolean {
  return entry.timestamp + ttlMs <= now;
}

/** What the TTL states need at an access: the config, resolved to flags, and the time. */
export class TtlPolicy {
  readonly ttlMs: number;
  readonly updateOnRead: boolean;
  readonly returnExpired: boolean;

  constructor(config: StateTtlConfig, readonly now: () => number) {
    this.ttlMs = config.ttlMs;
    this.updateOnRead = config.updateType === UpdateType.OnReadAndWrite;
    this.returnExpired = config.stateVisibility === StateVisibility.ReturnExpiredIfNotCleanedUp;
  }

  expired(entry: TtlValue<unknown>, now: number): boolean {
    return isExpired(entry, this.ttlMs, now);
  }

  wrap<V>(value: V, now: number): TtlValue<V> {
    return { value, timestamp: now };
  }
}
