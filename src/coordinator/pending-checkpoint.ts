// One checkpoint in flight at the job master: which subtasks still owe an acknowledgement, and
// what each acknowledged with. Acknowledging returns an explicit outcome (Flink's
// TaskAcknowledgeResult), never a bare boolean or an exception.

export type AckOutcome = "success" | "duplicate" | "unknown" | "discarded";

export type PendingCheckpointStatus = "pending" | "completed" | "aborted";

export class PendingCheckpoint<Handle = unknown> {
  private readonly waitingFor: Set<string>;
  private readonly handles = new Map<string, Handle>();
  private state: PendingCheckpointStatus = "pending";
  abortReason?: string;

  constructor(
    readonly checkpointId: number,
    readonly triggeredAt: number,
    tasks: Iterable<string>,
  ) {
    this.waitingFor = new Set(tasks);
    if (this.waitingFor.size === 0) throw new Error(`checkpoint ${checkpointId} has no tasks to wait for`);
  }

  get status(): PendingCheckpointStatus {
    return this.state;
  }

  get isFullyAcknowledged(): boolean {
    return this.state === "pending" && this.waitingFor.size === 0;
  }

  get outstanding(): readonly string[] {
    return [...this.waitingFor].sort();
  }

  /** Records a subtask's acknowledgement with the handle of its snapshot. */
  acknowledge(task: string, handle: Handle): AckOutcome {
    if (this.state !== "pending") return "discarded";
    if (this.waitingFor.delete(task)) {
      this.handles.set(task, handle);
      return "success";
    }
    return this.handles.has(task) ? "duplicate" : "unknown";
  }

  /** Marks it completed and returns every subtask's handle. Only when fully acknowledged. */
  complete(): ReadonlyMap<string, Handle> {
    if (!this.isFullyAcknowledged) throw new Error(`checkpoint ${this.checkpointId} still waits for ${this.outstanding.join(", ")}`);
    this.state = "completed";
    return this.handles;
  }

  /** Gives it up; later acknowledgements are "discarded". Returns the handles to clean up. */
  abort(reason: string): ReadonlyMap<string, Handle> {
    if (this.state === "pending") {
      this.state = "aborted";
      this.abortReason = reason;
    }
    return this.handles;
  }
}
