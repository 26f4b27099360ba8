// The JetStream source's split enumerator: one split per subject filter (or the whole stream),
// each owned by one reader (its place among the subject filters, mod the parallelism). A reader
// that asks gets the splits it owns that no reader has, then "no more splits": the set of subject
// filters is fixed, so nothing else can come to that reader execution. Fresh splits start where
// `startAt` says, looked up once on the server (latest, a time) before any split is handed out;
// splits given back by a failed reader keep their position, and go to the owner's new execution
// when it asks. The state — the subject filters that have splits, and the splits no reader has —
// is in every checkpoint, so a restore at any parallelism neither loses a subject nor reads one twice.

import type { SplitEnumerator, SplitEnumeratorContext } from "../operators/source.ts";
import { ownerOf, restoredEnumeratorState, restoredJetStreamSplit, type JetStreamEnumeratorState, type JetStreamSplit, type ResolvedStart } from "./jetstream-splits.ts";

export interface JetStreamEnumeratorOptions {
  /** `jetStreamSource <stream>`, for error messages. */
  name: string;
  /** The subject filters the source is configured with, one split each. */
  subjects: readonly string[];
  start: ResolvedStart;
  /** Looks up the stream sequence a `latest` or `time` start position stands for (I/O, run off the enumerator). */
  lookUpStart: (start: ResolvedStart) => Promise<number>;
}

export class JetStreamSplitEnumerator implements SplitEnumerator {
  private readonly known: string[];
  private pending: JetStreamSplit[];
  /** Subject filters with no split yet (new in this run): they get one once their start sequence is known. */
  private fresh: string[];
  /** Readers that asked and were not answered yet. */
  private waiting: number[] = [];

  constructor(
    private readonly options: JetStreamEnumeratorOptions,
    private readonly ctx: SplitEnumeratorContext,
    restored?: unknown,
  ) {
    const state = restored === undefined ? { known: [], pending: [] } : restoredEnumeratorState(options.name, restored);
    this.known = state.known;
    this.pending = state.pending;
    this.fresh = options.subjects.filter((s) => !this.known.includes(s));
  }

  start(): void {
    if (this.fresh.length === 0) return;
    const { start } = this.options;
    if (start.kind === "sequence") this.created(start.sequence);
    else this.ctx.callAsync(() => this.options.lookUpStart(start), (sequence) => this.created(sequence));
  }

  addReader(): void {
    // Readers ask once they are open.
  }

  handleSplitRequest(subtaskIndex: number): void {
    if (!this.waiting.includes(subtaskIndex)) this.waiting.push(subtaskIndex);
    this.serve();
  }

  addSplitsBack(splits: unknown[]): void {
    // The owner restarts and asks again; its new execution gets them at the positions they had.
    this.pending.push(...splits.map((s) => restoredJetStreamSplit(this.options.name, s)));
    this.serve();
  }

  snapshotState(): JetStreamEnumeratorState {
    return { known: [...this.known], pending: this.pending.map((s) => ({ ...s })) };
  }

  private created(sequence: number): void {
    for (const subject of this.fresh) {
      this.known.push(subject);
      this.pending.push({ subject, nextSeq: sequence });
    }
    this.fresh = [];
    this.serve();
  }

  /** Answers each waiting reader, once every split has its start sequence: its splits, then no more. */
  private serve(): void {
    if (this.fresh.length > 0) return;
    const registered = new Set(this.ctx.registeredReaders());
    for (const subtask of this.waiting) {
      // A reader that restarted since it asked asks again.
      if (!registered.has(subtask)) continue;
      const mine = this.pending.filter((s) => ownerOf(this.known, s.subject, this.ctx.parallelism) === subtask);
      if (mine.length > 0) {
        this.pending = this.pending.filter((s) => !mine.includes(s));
        this.ctx.assignSplits(subtask, mine);
      }
      this.ctx.signalNoMoreSplits(subtask);
    }
    this.waiting = [];
  }
}
