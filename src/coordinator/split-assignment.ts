// The split enumerator's bookkeeping, as pure steps: which reader execution may speak for each
// subtask, the sequence numbers of the messages to each reader, and the splits handed out since
// the latest completed checkpoint (they go back to the enumerator when their reader fails). The
// actor (actors/split-enumerator.ts) calls the user's enumerator and publishes what these decide.

/** One subtask's reader, as the enumerator knows it. */
export interface ReaderSlot {
  /** The execution attempt whose messages count; earlier attempts' are stale. */
  attempt: number;
  registered: boolean;
  /** The `seq` of the next message to this reader execution. */
  nextSeq: number;
}

/** Splits handed to one reader after the enumerator's snapshot of checkpoint `afterCheckpoint` (0: before any). */
export interface Handout {
  subtask: number;
  afterCheckpoint: number;
  splits: unknown[];
}

export interface SplitAssignmentState {
  readers: ReaderSlot[];
  /** Handouts no completed checkpoint covers yet, oldest first. */
  handouts: Handout[];
  /** The latest checkpoint (or savepoint) whose enumerator state was taken; 0 before any. */
  lastSnapshot: number;
}

/** A call the actor makes on the user's enumerator. */
export type EnumeratorCall =
  | { kind: "addReader"; subtask: number }
  | { kind: "handleSplitRequest"; subtask: number }
  | { kind: "handleSourceEvent"; subtask: number; event: unknown }
  | { kind: "addSplitsBack"; subtask: number; splits: unknown[] };

/** What the user's enumerator asked of its context, in order. */
export type EnumeratorCommand =
  | { kind: "assign"; subtask: number; splits: unknown[] }
  | { kind: "no-more-splits"; subtask: number }
  | { kind: "event"; subtask: number; event: unknown };

/** A message to one reader execution, numbered. */
export type ReaderNotice = { subtask: number; attempt: number; seq: number } & (
  | { type: "split-assignment"; splits: unknown[] }
  | { type: "no-more-splits" }
  | { type: "enumerator-event"; event: unknown }
);

/** A reader's message, as far as the bookkeeping cares. */
export interface ReaderMessage {
  type: "reader-registration" | "split-request" | "reader-event";
  subtask: number;
  attempt: number;
  event?: unknown;
}

/** accepted; duplicate (a registration again); stale (an earlier attempt's); unknown (no such subtask). */
export type ReaderMessageOutcome = "accepted" | "duplicate" | "stale" | "unknown";

export function initialAssignment(parallelism: number, attempt: number): SplitAssignmentState {
  return { readers: Array.from({ length: parallelism }, () => ({ attempt, registered: false, nextSeq: 1 })), handouts: [], lastSnapshot: 0 };
}

/**
 * A reader's message: what to call on the enumerator. A request or event from a reader whose
 * registration went missing registers it first, so a lost registration never strands a reader.
 */
export function onReaderMessage(state: SplitAssignmentState, message: ReaderMessage): { state: SplitAssignmentState; outcome: ReaderMessageOutcome; calls: EnumeratorCall[] } {
  const slot = state.readers[message.subtask];
  if (slot === undefined) return { state, outcome: "unknown", calls: [] };
  if (slot.attempt !== message.attempt) return { state, outcome: "stale", calls: [] };
  const calls: EnumeratorCall[] = [];
  let next = state;
  if (!slot.registered) {
    next = withReader(state, message.subtask, { ...slot, registered: true });
    calls.push({ kind: "addReader", subtask: message.subtask });
  } else if (message.type === "reader-registration") {
    return { state, outcome: "duplicate", calls: [] };
  }
  if (message.type === "split-request") calls.push({ kind: "handleSplitRequest", subtask: message.subtask });
  if (message.type === "reader-event") calls.push({ kind: "handleSourceEvent", subtask: message.subtask, event: message.event });
  return { state: next, outcome: "accepted", calls };
}

/**
 * Why the enumerator may not send to `subtask` now (its context throws it at the call), or
 * undefined: only registered readers of this source get messages, so none is sent into the void.
 */
export function refusal(state: SplitAssignmentState, subtask: number): string | undefined {
  const slot = state.readers[subtask];
  if (!Number.isInteger(subtask) || slot === undefined) return `there is no reader ${subtask} (the source runs ${state.readers.length} readers: 0..${state.readers.length - 1})`;
  if (!slot.registered) return `reader ${subtask} has not registered yet: send only to registeredReaders(), e.g. in addReader or handleSplitRequest`;
  return undefined;
}

/** The enumerator's commands become numbered messages; assigned splits are remembered until a checkpoint covers them. */
export function onCommands(state: SplitAssignmentState, commands: readonly EnumeratorCommand[]): { state: SplitAssignmentState; notices: ReaderNotice[] } {
  const readers = state.readers.map((r) => ({ ...r }));
  const handouts = [...state.handouts];
  const notices: ReaderNotice[] = [];
  for (const command of commands) {
    const slot = readers[command.subtask];
    const address = { subtask: command.subtask, attempt: slot.attempt, seq: slot.nextSeq++ };
    switch (command.kind) {
      case "assign":
        handouts.push({ subtask: command.subtask, afterCheckpoint: state.lastSnapshot, splits: command.splits });
        notices.push({ ...address, type: "split-assignment", splits: command.splits });
        break;
      case "no-more-splits":
        notices.push({ ...address, type: "no-more-splits" });
        break;
      case "event":
        notices.push({ ...address, type: "enumerator-event", event: command.event });
        break;
    }
  }
  return { state: { ...state, readers, handouts }, notices };
}

/** The enumerator's state was taken for `checkpointId`: splits assigned from now on are not in it. */
export function onSnapshot(state: SplitAssignmentState, checkpointId: number): SplitAssignmentState {
  return { ...state, lastSnapshot: Math.max(state.lastSnapshot, checkpointId) };
}

/** Checkpoint `checkpointId` completed: its readers' state holds every split handed out before its snapshot. */
export function onCheckpointComplete(state: SplitAssignmentState, checkpointId: number): SplitAssignmentState {
  return { ...state, handouts: state.handouts.filter((h) => h.afterCheckpoint >= checkpointId) };
}

/**
 * The readers of `subtasks` failed and restart, as execution `attempt`, from the latest completed
 * checkpoint: what was handed to them since goes back to the enumerator, and their old execution
 * is no longer heard.
 */
export function onReadersRestarted(state: SplitAssignmentState, subtasks: readonly number[], attempt: number): { state: SplitAssignmentState; calls: EnumeratorCall[] } {
  const restarted = new Set(subtasks);
  const readers = state.readers.map((r, i) => (restarted.has(i) ? { attempt, registered: false, nextSeq: 1 } : r));
  const calls: EnumeratorCall[] = [];
  for (const subtask of [...restarted].sort((a, b) => a - b)) {
    const splits = state.handouts.filter((h) => h.subtask === subtask).flatMap((h) => h.splits);
    if (splits.length > 0) calls.push({ kind: "addSplitsBack", subtask, splits });
  }
  return { state: { ...state, readers, handouts: state.handouts.filter((h) => !restarted.has(h.subtask)) }, calls };
}

/** The subtasks whose readers have registered, in order. */
export function registeredReaders(state: SplitAssignmentState): number[] {
  return state.readers.flatMap((r, i) => (r.registered ? [i] : []));
}

function withReader(state: SplitAssignmentState, subtask: number, slot: ReaderSlot): SplitAssignmentState {
  const readers = [...state.readers];
  readers[subtask] = slot;
  return { ...state, readers };
}
