// The JetStream source's splits and start positions, as pure data and checks: a split is one
// subject filter of the stream with the stream sequence to read next; a start position says
// where a fresh split begins (earliest, latest, a stream sequence, a time) and is resolved to a
// stream sequence once, by the split enumerator, so a split handed out again after a failure, or
// restored from a checkpoint, reads on from one exact place. Checkpoints are data from outside
// the process, so restored splits and enumerator state are checked here.

export interface JetStreamSplit {
  /** The subject filter (">": the whole stream). */
  subject: string;
  /** The stream sequence to read next (1: from the start). */
  nextSeq: number;
}

/**
 * Where fresh splits start: "earliest" (every message the stream holds), "latest" (only messages
 * published after the job started), `{ sequence }` (from that stream sequence on) or `{ time }`
 * (from the first message stored at or after that time). Restored splits ignore it.
 */
export type JetStreamStartAt = "earliest" | "latest" | { sequence: number } | { time: Date | string | number };

/** A start position, checked: a fixed sequence, or one the enumerator looks up on the server. */
export type ResolvedStart = { kind: "sequence"; sequence: number } | { kind: "latest" } | { kind: "time"; time: Date };

/** The split enumerator's checkpointed state. */
export interface JetStreamEnumeratorState {
  /** Every subject filter that has a split: handed out, or waiting in `pending`. */
  known: string[];
  /** Splits no reader has (never handed out, or given back by a failed reader). */
  pending: JetStreamSplit[];
}

/** The start position of `startAt`, or a clear error naming the option and what it accepts. */
export function startPosition(startAt: unknown): ResolvedStart {
  const accepted = `jetStreamSource: startAt must be "earliest", "latest", { sequence: n } (n an integer >= 1) or { time: Date | ISO string | epoch ms }`;
  if (startAt === undefined || startAt === "earliest") return { kind: "sequence", sequence: 1 };
  if (startAt === "latest") return { kind: "latest" };
  if (typeof startAt !== "object" || startAt === null) throw new Error(`${accepted}, got ${JSON.stringify(startAt)}`);
  const keys = Object.keys(startAt);
  if (keys.length === 1 && keys[0] === "sequence") {
    const { sequence } = startAt as { sequence: unknown };
    if (!Number.isSafeInteger(sequence) || (sequence as number) < 1) throw new Error(`jetStreamSource: startAt.sequence must be an integer >= 1 (stream sequences start at 1), got ${JSON.stringify(sequence)}`);
    return { kind: "sequence", sequence: sequence as number };
  }
  if (keys.length === 1 && keys[0] === "time") {
    const { time } = startAt as { time: unknown };
    const date = time instanceof Date ? time : typeof time === "string" || typeof time === "number" ? new Date(time) : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) throw new Error(`jetStreamSource: startAt.time must be a Date, an ISO 8601 string or epoch milliseconds, got ${JSON.stringify(time)}`);
    return { kind: "time", time: date };
  }
  throw new Error(`${accepted}, got ${JSON.stringify(startAt)}`);
}

/** The subject filters of the source, checked ([">"]: the whole stream). */
export function subjectFilters(subjects: readonly string[] | undefined): string[] {
  if (subjects === undefined) return [">"];
  if (!Array.isArray(subjects) || subjects.length === 0 || subjects.some((s) => typeof s !== "string" || !s)) throw new Error("jetStreamSource: subjects must list at least one subject filter");
  const repeated = subjects.find((s, i) => subjects.indexOf(s) !== i);
  if (repeated !== undefined) throw new Error(`jetStreamSource: subjects lists ${JSON.stringify(repeated)} twice; each subject filter is one split, read once`);
  return [...subjects];
}

/** The reader that owns `subject`: its place among the known subject filters, mod the parallelism. */
export function ownerOf(known: readonly string[], subject: string, parallelism: number): number {
  return Math.max(known.indexOf(subject), 0) % parallelism;
}

/** A restored split, checked. */
export function restoredJetStreamSplit(source: string, value: unknown): JetStreamSplit {
  const split = value as Partial<JetStreamSplit> | null;
  const valid = typeof split === "object" && split !== null && typeof split.subject === "string" && split.subject !== "" && Number.isSafeInteger(split.nextSeq) && split.nextSeq! >= 1;
  if (!valid) throw new Error(`${source}: a restored split must be {subject, nextSeq} (nextSeq an integer >= 1), got ${JSON.stringify(value)}`);
  return { subject: split.subject!, nextSeq: split.nextSeq! };
}

/** A restored enumerator state, checked. */
export function restoredEnumeratorState(source: string, value: unknown): JetStreamEnumeratorState {
  const state = value as Partial<JetStreamEnumeratorState> | null;
  const valid = typeof state === "object" && state !== null && Array.isArray(state.known) && state.known.every((s) => typeof s === "string") && Array.isArray(state.pending);
  if (!valid) throw new Error(`${source}: a restored enumerator state must be {known, pending}, got ${JSON.stringify(value)}`);
  return { known: [...state.known!], pending: state.pending!.map((s) => restoredJetStreamSplit(source, s)) };
}
