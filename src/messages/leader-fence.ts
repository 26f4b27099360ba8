// Fencing by leader epoch: a job manager that leads stamps its epoch (the revision of its lease)
// on every control message it sends to workers and subtasks; a worker remembers the highest epoch
// it has seen and refuses control messages of a lower one, so a deposed leader cannot act.
// Receives epochs; decides admit or refuse. Sends nothing.

import type { MessageType } from "./schema.ts";

/** The control messages a job manager sends to workers and subtasks: they carry the sender's epoch. */
export const FENCED_MESSAGES: ReadonlySet<MessageType> = new Set<MessageType>(["deploy-task", "cancel-task", "trigger-checkpoint", "checkpoint-notify"]);

export type FenceOutcome = { kind: "admitted" } | { kind: "stale"; epoch: number; highest: number };

/** The highest leader epoch one process has seen; one per worker process, shared by its subtasks. */
export class LeaderFence {
  private highestSeen = 0;

  get highest(): number {
    return this.highestSeen;
  }

  /** A message without an epoch comes from a job manager that does not elect a leader: admitted. */
  admit(epoch: number | undefined): FenceOutcome {
    if (epoch === undefined) return { kind: "admitted" };
    if (epoch < this.highestSeen) return { kind: "stale", epoch, highest: this.highestSeen };
    this.highestSeen = epoch;
    return { kind: "admitted" };
  }
}

/** A refused message as a rejection: counted and logged once like any other. */
export function staleEpochRejection(outcome: Extract<FenceOutcome, { kind: "stale" }>, type: string): { reason: "stale-epoch"; detail: string } {
  return { reason: "stale-epoch", detail: `${type} from a job manager of leader epoch ${outcome.epoch}, older than epoch ${outcome.highest} already seen: a deposed leader's message, ignored` };
}
