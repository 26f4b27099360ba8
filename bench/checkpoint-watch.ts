// Watches one job's checkpoints from the outside, on its bus (in-process or NATS): the job
// master's triggers and completion notices (subjects.checkpointControl) and the subtasks' acks
// with their stats (subjects.checkpointAcks). Times are this process's wall clock when a message
// arrived, so they include bus delivery. Used by the checkpoint cases (e, g, h).

import type { Bus, BusSubscription } from "../src/bus/bus.ts";
import { subjects } from "../src/bus/subjects.ts";
import { decode } from "../src/messages/codec.ts";
import type { CheckpointStats, SubtaskId } from "../src/messages/schema.ts";

export interface WatchedCheckpoint {
  checkpointId: number;
  /** When the trigger (sent to the sources) was seen; undefined when only later messages were. */
  triggeredAt?: number;
  /** When the completion or abort notice was seen. */
  endedAt?: number;
  outcome?: "complete" | "aborted";
  acks: { task: SubtaskId; stats: CheckpointStats; at: number }[];
  declines: string[];
}

export class CheckpointWatch {
  readonly checkpoints = new Map<number, WatchedCheckpoint>();
  private readonly subscriptions: BusSubscription[];
  private readonly waiters: { test: (c: WatchedCheckpoint) => boolean; resolve: (c: WatchedCheckpoint) => void }[] = [];

  constructor(bus: Bus, jobId: string, private readonly now: () => number = Date.now) {
    this.subscriptions = [
      bus.subscribe(subjects.checkpointControl(jobId), (data) => {
        const out = decode(data, ["trigger-checkpoint", "checkpoint-notify"]);
        if (!out.ok) return;
        const checkpoint = this.entry(out.message.checkpointId);
        if (out.message.type === "trigger-checkpoint") checkpoint.triggeredAt ??= this.now();
        else {
          checkpoint.endedAt = this.now();
          checkpoint.outcome = out.message.outcome;
          this.settle(checkpoint);
        }
      }),
      bus.subscribe(subjects.checkpointAcks(jobId), (data) => {
        const out = decode(data, ["checkpoint-ack", "checkpoint-decline"]);
        if (!out.ok) return;
        const checkpoint = this.entry(out.message.checkpointId);
        if (out.message.type === "checkpoint-ack") checkpoint.acks.push({ task: out.message.task, stats: out.message.stats, at: this.now() });
        else checkpoint.declines.push(out.message.reason);
      }),
    ];
  }

  /** Resolves with the first checkpoint that ended (completed or aborted) and passes `test`, now or later. */
  nextEnded(test: (c: WatchedCheckpoint) => boolean = () => true): Promise<WatchedCheckpoint> {
    const done = [...this.checkpoints.values()].find((c) => c.outcome !== undefined && test(c));
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  completed(): WatchedCheckpoint[] {
    return [...this.checkpoints.values()].filter((c) => c.outcome === "complete").sort((a, b) => a.checkpointId - b.checkpointId);
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  private entry(checkpointId: number): WatchedCheckpoint {
    let checkpoint = this.checkpoints.get(checkpointId);
    if (!checkpoint) this.checkpoints.set(checkpointId, (checkpoint = { checkpointId, acks: [], declines: [] }));
    return checkpoint;
  }

  private settle(checkpoint: WatchedCheckpoint): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (!this.waiters[i].test(checkpoint)) continue;
      this.waiters[i].resolve(checkpoint);
      this.waiters.splice(i, 1);
    }
  }
}

/** One vertex's part of a checkpoint: the slowest of its subtasks in each phase, and its bytes. */
export interface VertexFigures {
  sync_ms_max: number;
  async_ms_max: number;
  alignment_ms_max: number;
  bytes: number;
  subtasks: number;
}

/** One completed checkpoint in a result line: end-to-end time, and the acks' stats per vertex. */
export interface CheckpointFigures {
  id: number;
  /** Trigger seen → completion notice seen (ms). */
  total_ms?: number;
  /** Sum over every subtask: in one process they run one after the other. */
  sync_ms_sum: number;
  bytes: number;
  /** The vertex holding most of the state (the keyed one), whose figures follow. */
  state_vertex: string;
  state: VertexFigures;
  /** Every vertex. A source's async time includes waiting for the thread while a keyed subtask in the same process captures its state. */
  by_vertex: Record<string, VertexFigures>;
}

function vertexFigures(stats: readonly CheckpointStats[]): VertexFigures {
  const max = (f: (s: CheckpointStats) => number) => Math.max(0, ...stats.map(f));
  return {
    sync_ms_max: max((s) => s.syncMs),
    async_ms_max: max((s) => s.asyncMs),
    alignment_ms_max: max((s) => s.alignmentMs),
    bytes: stats.reduce((t, s) => t + s.bytes, 0),
    subtasks: stats.length,
  };
}

export function checkpointFigures(c: WatchedCheckpoint): CheckpointFigures {
  const byVertex: Record<string, VertexFigures> = {};
  for (const vertexId of new Set(c.acks.map((a) => a.task.vertexId))) {
    byVertex[vertexId] = vertexFigures(c.acks.filter((a) => a.task.vertexId === vertexId).map((a) => a.stats));
  }
  const [stateVertex] = Object.entries(byVertex).sort(([, a], [, b]) => b.bytes - a.bytes)[0] ?? ["none"];
  return {
    id: c.checkpointId,
    ...(c.triggeredAt !== undefined && c.endedAt !== undefined ? { total_ms: c.endedAt - c.triggeredAt } : {}),
    sync_ms_sum: c.acks.reduce((t, a) => t + a.stats.syncMs, 0),
    bytes: c.acks.reduce((t, a) => t + a.stats.bytes, 0),
    state_vertex: stateVertex,
    state: byVertex[stateVertex] ?? vertexFigures([]),
    by_vertex: byVertex,
  };
}
