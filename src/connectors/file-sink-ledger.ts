// The file sink's bookkeeping, pure: which part files of a subtask are in progress, closed (rolled,
// waiting for the next barrier), pending (closed before a checkpoint's barrier, waiting for it to
// complete) or to be committed; what its operator state holds; and what a restore does with the
// files a directory listing found. The sink does the file I/O these decisions name.

/** A part file: `<prefix>-<index>-<counter><suffix>`, hidden as `.<that>.inprogress` until committed. */
export interface PartRef {
  /** The subtask index in its name (the subtask that wrote it, in the parallelism it ran at). */
  index: number;
  counter: number;
}

export interface PendingParts {
  checkpointId: number;
  /** Counters of this subtask's parts closed before that checkpoint's barrier. */
  counters: number[];
}

/** One subtask's operator state (union state: on restore every subtask sees every entry). */
export interface FileSinkStateEntry {
  /** The subtask that wrote the entry; its parts carry this index. */
  index: number;
  /** The next unused counter of each name index this subtask owns (its own and, after a rescale, those it took over). */
  counters: [index: number, next: number][];
  pending: PendingParts[];
}

export interface Ledger {
  index: number;
  counters: Map<number, number>;
  /** The part being written, if any. */
  open?: number;
  /** Rolled since the last barrier. */
  closed: number[];
  pending: PendingParts[];
}

/** Starts a new part: its counter is never one used before under this name index. */
export function openPart(ledger: Ledger): { ledger: Ledger; counter: number } {
  const counter = ledger.counters.get(ledger.index) ?? 0;
  const counters = new Map(ledger.counters).set(ledger.index, counter + 1);
  return { ledger: { ...ledger, counters, open: counter }, counter };
}

/**
 * The open part was closed (rolled by size or time). With checkpointing it waits for the next
 * barrier; without, it is committed now (there may never be a barrier).
 */
export function rollPart(ledger: Ledger, checkpointing: boolean): { ledger: Ledger; commit: number[] } {
  if (ledger.open === undefined) return { ledger, commit: [] };
  if (!checkpointing) return { ledger: { ...ledger, open: undefined }, commit: [ledger.open] };
  return { ledger: { ...ledger, open: undefined, closed: [...ledger.closed, ledger.open] }, commit: [] };
}

/** At a barrier (the open part was closed first): what was closed since the last one becomes pending for this checkpoint. */
export function atBarrier(ledger: Ledger, checkpointId: number): Ledger {
  const closed = ledger.open === undefined ? ledger.closed : [...ledger.closed, ledger.open];
  if (closed.length === 0) return { ...ledger, open: undefined };
  return { ...ledger, open: undefined, closed: [], pending: [...ledger.pending, { checkpointId, counters: closed }] };
}

/** Checkpoint `checkpointId` completed: its pending parts (and any of earlier ones whose notice never came) are committed. */
export function checkpointComplete(ledger: Ledger, checkpointId: number): { ledger: Ledger; commit: number[] } {
  const done = ledger.pending.filter((p) => p.checkpointId <= checkpointId);
  if (done.length === 0) return { ledger, commit: [] };
  return { ledger: { ...ledger, pending: ledger.pending.filter((p) => p.checkpointId > checkpointId) }, commit: done.flatMap((p) => p.counters) };
}

/** End of input (the open part was closed first): everything not yet committed is. */
export function endOfInput(ledger: Ledger): { ledger: Ledger; commit: number[] } {
  const commit = [...ledger.pending.flatMap((p) => p.counters), ...ledger.closed, ...(ledger.open === undefined ? [] : [ledger.open])];
  return { ledger: { ...ledger, open: undefined, closed: [], pending: [] }, commit };
}

/** The operator state a barrier stores. */
export function stateEntry(ledger: Ledger): FileSinkStateEntry {
  return { index: ledger.index, counters: [...ledger.counters].sort((a, b) => a[0] - b[0]), pending: ledger.pending.map((p) => ({ checkpointId: p.checkpointId, counters: [...p.counters] })) };
}

/** What a subtask does when it opens. */
export interface RestorePlan {
  ledger: Ledger;
  /** Pending parts of the restored checkpoint: that checkpoint completed, so they are committed (again, harmlessly, if they were). */
  commit: PartRef[];
  /** Hidden in-progress files written after the restored checkpoint (or by an earlier run): their records are replayed or were never committed. */
  remove: PartRef[];
}

/**
 * Subtask `subtask` of `parallelism` opens, with the union state of the restored checkpoint
 * (empty on a fresh start) and the part files the directory holds. It takes over the entries of
 * the old subtasks `j` with `j mod parallelism = subtask` — each old subtask's parts go to exactly
 * one new subtask, also at another parallelism — and, likewise, the hidden files carrying such an
 * index. Its own counter goes on after every counter its state or the directory has used.
 */
export function planRestore(restored: readonly FileSinkStateEntry[], subtask: number, parallelism: number, found: { hidden: PartRef[]; visible: PartRef[] }): RestorePlan {
  const mine = (index: number): boolean => index % parallelism === subtask;
  const counters = new Map<number, number>([[subtask, 0]]);
  const raise = (index: number, next: number): void => {
    if (next > (counters.get(index) ?? 0)) counters.set(index, next);
  };
  const commit: PartRef[] = [];
  for (const entry of restored) {
    for (const [index, next] of entry.counters) if (mine(index)) raise(index, next);
    if (!mine(entry.index)) continue;
    for (const p of entry.pending) for (const counter of p.counters) commit.push({ index: entry.index, counter });
  }
  for (const part of [...found.hidden, ...found.visible]) if (mine(part.index)) raise(part.index, part.counter + 1);
  const committing = new Set(commit.map(key));
  const remove = found.hidden.filter((part) => mine(part.index) && !committing.has(key(part)));
  return { ledger: { index: subtask, counters, closed: [], pending: [] }, commit, remove };
}

function key(part: PartRef): string {
  return `${part.index}/${part.counter}`;
}

/** Names a part file, and reads names back. */
export class PartNames {
  private readonly pattern: RegExp;
  constructor(
    private readonly prefix: string,
    private readonly suffix: string,
  ) {
    this.pattern = new RegExp(`^(\\.)?${escapeRegExp(prefix)}-(\\d+)-(\\d+)${escapeRegExp(suffix)}(\\.inprogress)?$`);
  }
  visible(part: PartRef): string {
    return `${this.prefix}-${part.index}-${part.counter}${this.suffix}`;
  }
  hidden(part: PartRef): string {
    return `.${this.visible(part)}.inprogress`;
  }
  /** The sink's part files among a directory's names (other files are left alone). */
  parse(names: readonly string[]): { hidden: PartRef[]; visible: PartRef[] } {
    const hidden: PartRef[] = [];
    const visible: PartRef[] = [];
    for (const name of names) {
      const match = this.pattern.exec(name);
      if (!match || Boolean(match[1]) !== Boolean(match[4])) continue;
      (match[1] ? hidden : visible).push({ index: Number(match[2]), counter: Number(match[3]) });
    }
    return { hidden, visible };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
