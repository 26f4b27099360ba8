// Which state keys changed since the last confirmed checkpoint. Changes made before snapshot n
// are sealed under n; confirming n drops everything sealed up to n; a snapshot never confirmed
// (aborted) keeps its changes, so they fold into the next delta. Pure: keys are opaque strings.

/** What an incremental snapshot must hold: everything, or the keys changed since a confirmed checkpoint. */
export type DeltaScope = { kind: "full" } | { kind: "since"; baseCheckpointId: number; changed: ReadonlySet<string> };

/** The outcome of confirming a checkpoint. */
export type Confirmation =
  /** It was taken here and is now the base of the next delta. */
  | "confirmed"
  /** A later checkpoint was already confirmed: nothing changes. */
  | "subsumed"
  /** No incremental snapshot was taken here with that id: nothing changes. */
  | "unknown";

interface Sealed {
  checkpointId: number;
  changed: Set<string>;
}

/**
 * Tracks changed keys per checkpoint until a checkpoint is confirmed.
 * @example
 * const log = new CheckpointChangeLog();
 * log.seal(1);             // { kind: "full" }: nothing confirmed yet
 * log.record("k");
 * log.confirm(1);          // "confirmed"
 * log.seal(2);             // { kind: "since", baseCheckpointId: 1, changed: Set { "k" } }
 */
export class CheckpointChangeLog {
  /** Off until the first incremental snapshot: before it, the next delta is full anyway. */
  private tracking = false;
  private current = new Set<string>();
  private sealed: Sealed[] = [];
  private confirmed: number | undefined;
  private lastSnapshot: number | undefined;

  /** Notes a written or removed key. */
  record(key: string): void {
    if (this.tracking) this.current.add(key);
  }

  /** The id of the last confirmed checkpoint: the base of the next delta (undefined: the next one is full). */
  get baseCheckpointId(): number | undefined {
    return this.confirmed;
  }

  /** Seals the changes made so far under `checkpointId` and says what its delta must hold. */
  seal(checkpointId: number, forceFull = false): DeltaScope {
    if (!Number.isSafeInteger(checkpointId)) throw new Error(`a checkpoint id must be an integer, got ${checkpointId}`);
    if (this.lastSnapshot !== undefined && checkpointId <= this.lastSnapshot) {
      throw new Error(`incremental snapshot ${checkpointId} must come after snapshot ${this.lastSnapshot}`);
    }
    this.lastSnapshot = checkpointId;
    this.tracking = true;
    this.sealed.push({ checkpointId, changed: this.current });
    this.current = new Set();
    if (this.confirmed === undefined || forceFull) return { kind: "full" };
    return { kind: "since", baseCheckpointId: this.confirmed, changed: this.unconfirmedChanges() };
  }

  /** Makes `checkpointId` the base of the next delta, if it was taken here and is the newest confirmed. */
  confirm(checkpointId: number): Confirmation {
    if (this.confirmed !== undefined && checkpointId <= this.confirmed) return "subsumed";
    const index = this.sealed.findIndex((s) => s.checkpointId === checkpointId);
    if (index < 0) return "unknown";
    this.sealed = this.sealed.slice(index + 1);
    this.confirmed = checkpointId;
    return "confirmed";
  }

  /** Forgets everything: the next delta is full (after a restore from a full snapshot). */
  reset(): void {
    this.tracking = false;
    this.current = new Set();
    this.sealed = [];
    this.confirmed = undefined;
    this.lastSnapshot = undefined;
  }

  /** Starts over from a restored checkpoint: the next delta builds on it. */
  resetTo(checkpointId: number): void {
    this.reset();
    this.tracking = true;
    this.confirmed = checkpointId;
    this.lastSnapshot = checkpointId;
  }

  /** The keys changed since the confirmed checkpoint: every set sealed since (one set needs no copy). */
  private unconfirmedChanges(): ReadonlySet<string> {
    if (this.sealed.length === 1) return this.sealed[0].changed;
    const union = new Set<string>();
    for (const { changed } of this.sealed) for (const key of changed) union.add(key);
    return union;
  }
}
