// Watermark alignment (FLIP-182/FLIP-217), as pure decisions.
//  - AlignmentGroup, the coordinator's side: the readers of one group report their watermark and
//    status; the group's bound (maxAllowedWatermark) is the lowest watermark of its active readers
//    plus the allowed drift. A reader that has not reported yet counts at -∞ (so nothing runs
//    ahead of a reader that has not started); an idle or finished one does not count; with no
//    reader left that counts, the bound is +∞. A report from an earlier attempt of a reader than
//    one already heard is stale.
//  - planAlignment, the reader's side: pause the reader while its watermark is above the bound,
//    and (readers that can) each split whose watermark is above it; resume what is back under.

/** A reader of the group, as it last reported. */
export type ReaderStatus = "active" | "idle" | "finished";

export interface ReaderReport {
  /** Which reader: vertex and subtask (one key per subtask, whatever the attempt). */
  reader: string;
  attempt: number;
  watermark: number;
  status: ReaderStatus;
}

export type ReportOutcome =
  | { kind: "unknown-reader" }
  | { kind: "stale" }
  /** `bound` is set when the group's bound changed. */
  | { kind: "accepted"; bound?: number };

interface ReaderState {
  attempt: number;
  watermark: number;
  status: ReaderStatus;
}

export class AlignmentGroup {
  private readonly readers = new Map<string, ReaderState>();
  private current: number;

  constructor(
    readonly name: string,
    readonly maxDriftMs: number,
    /** Every reader of the group (their keys), known from the job graph. */
    readers: readonly string[],
  ) {
    for (const reader of readers) this.readers.set(reader, { attempt: -1, watermark: -Infinity, status: "active" });
    this.current = this.compute();
  }

  /** The highest watermark a reader of the group may read to. */
  get bound(): number {
    return this.current;
  }

  report(report: ReaderReport): ReportOutcome {
    const state = this.readers.get(report.reader);
    if (state === undefined) return { kind: "unknown-reader" };
    if (report.attempt < state.attempt) return { kind: "stale" };
    // A finished reader stays finished within its attempt: a late report cannot revive it.
    if (report.attempt === state.attempt && state.status === "finished") return { kind: "stale" };
    state.attempt = report.attempt;
    state.watermark = report.watermark;
    state.status = report.status;
    const bound = this.compute();
    if (bound === this.current) return { kind: "accepted" };
    this.current = bound;
    return { kind: "accepted", bound };
  }

  private compute(): number {
    let min = Infinity;
    for (const state of this.readers.values()) if (state.status === "active" && state.watermark < min) min = state.watermark;
    return min === Infinity ? Infinity : min + this.maxDriftMs;
  }
}

/** What a reader knows when it decides. */
export interface ReaderAlignmentView {
  maxAllowedWatermark: number;
  /** The reader's watermark (the minimum over its splits). */
  readerWatermark: number;
  /** Its named splits and their watermarks. */
  splits: readonly { id: string; watermark: number }[];
  /** The splits it paused and has not resumed. */
  pausedSplits: ReadonlySet<string>;
  /** The reader implements pauseOrResumeSplits. */
  canPauseSplits: boolean;
}

export interface AlignmentPlan {
  /** Stop polling the reader until the next plan says otherwise. */
  pauseReader: boolean;
  pause: string[];
  resume: string[];
}

export function planAlignment(view: ReaderAlignmentView): AlignmentPlan {
  const max = view.maxAllowedWatermark;
  const pause: string[] = [];
  const resume: string[] = [];
  if (view.canPauseSplits) {
    const present = new Set<string>();
    for (const split of view.splits) {
      present.add(split.id);
      const paused = view.pausedSplits.has(split.id);
      if (!paused && split.watermark > max) pause.push(split.id);
      else if (paused && split.watermark <= max) resume.push(split.id);
    }
    // A paused split that is gone (finished) is resumed, so the reader forgets it too.
    for (const id of view.pausedSplits) if (!present.has(id)) resume.push(id);
  }
  return { pauseReader: view.readerWatermark > max, pause, resume };
}
