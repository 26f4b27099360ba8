// Time accounting of one subtask, per turn and never per record: how long it was busy processing
// input and how long it was held back by a downstream subtask's missing credit (Flink's busy and
// backpressured time). Wall-clock time (performance.now), since these figures describe the
// machine, not the job's logic; they are never part of a decision.

import { performance } from "node:perf_hooks";

export class TaskMeter {
  busyMs = 0;
  backPressuredMs = 0;
  private turnStartedAt = -1;
  private backPressuredSince = -1;

  /** A turn of processing begins (a drain of input frames, a batch of source polls). */
  beginTurn(): void {
    this.turnStartedAt = performance.now();
  }

  endTurn(): void {
    if (this.turnStartedAt < 0) return;
    this.busyMs += performance.now() - this.turnStartedAt;
    this.turnStartedAt = -1;
  }

  /** Processing stopped because an output waits for credit; ends at `creditArrived`. */
  backPressured(): void {
    if (this.backPressuredSince < 0) this.backPressuredSince = performance.now();
  }

  creditArrived(): void {
    if (this.backPressuredSince < 0) return;
    this.backPressuredMs += performance.now() - this.backPressuredSince;
    this.backPressuredSince = -1;
  }

  /** The totals including a wait still going on. */
  backPressuredTotal(): number {
    return this.backPressuredSince < 0 ? this.backPressuredMs : this.backPressuredMs + (performance.now() - this.backPressuredSince);
  }
}
