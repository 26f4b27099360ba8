// Flink's MergingWindowSet: the in-flight windows of one key for a merging (session) assigner,
// each mapped to the "state window" its contents are stored under. When a new window merges
// existing ones, the result keeps the state window of one of them, so only the others' contents
// move. Pure over the mapping it is given (the operator keeps that mapping in keyed state).

import type { MergingWindowAssigner } from "./assigners.ts";
import type { Window } from "./windows.ts";

/** One in-flight window and the window its contents are stored under. */
export interface WindowMapping<W extends Window> {
  window: W;
  stateWindow: W;
}

/** The in-flight windows of one key, by window id. */
export type MergingWindowMapping<W extends Window> = Map<string, WindowMapping<W>>;

/**
 * Called for each merge: `mergedWindows` (in-flight windows, and perhaps the new one) became
 * `mergeResult`; the contents of `mergedStateWindows` must move into `stateWindowResult`.
 */
export type MergeFunction<W extends Window> = (mergeResult: W, mergedWindows: W[], stateWindowResult: W, mergedStateWindows: W[]) => void;

export class MergingWindowSet<W extends Window> {
  constructor(private readonly assigner: Pick<MergingWindowAssigner<unknown, W>, "mergeWindows">, readonly mapping: MergingWindowMapping<W>) {}

  /** The window whose state holds `window`'s contents, or undefined if `window` is not in flight (merged away or retired). */
  getStateWindow(window: W): W | undefined {
    return this.mapping.get(window.id)?.stateWindow;
  }

  /** Removes a window that was fired and cleaned up (or dropped as late). */
  retireWindow(window: W): void {
    if (!this.mapping.delete(window.id)) throw new Error(`window ${String(window)} is not in the merging window set`);
  }

  get size(): number {
    return this.mapping.size;
  }

  /**
   * Adds a new window, merging it with in-flight windows as the assigner says, and returns the
   * window it ended up in (itself, or a merge result). `merge` runs for each merge, before this returns.
   */
  addWindow(newWindow: W, merge: MergeFunction<W>): W {
    // A window already in flight is not new: nothing merges (Flink would remap it onto itself and lose its state window).
    if (this.mapping.has(newWindow.id)) return newWindow;
    const windows = [...this.mapping.values()].map((m) => m.window);
    windows.push(newWindow);
    const merges: { result: W; merged: W[] }[] = [];
    this.assigner.mergeWindows(windows, (merged, result) => merges.push({ result, merged: [...merged] }));

    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const { result, merged } of merges) {
      const withoutNew = merged.filter((w) => w.id !== newWindow.id);
      if (withoutNew.length !== merged.length) {
        mergedNewWindow = true;
        resultWindow = result;
      }
      // The result keeps the state window of one merged in-flight window; the others' contents move into it.
      const stateWindowResult = this.mapping.get(withoutNew[0].id)!.stateWindow;
      const mergedStateWindows: W[] = [];
      for (const window of withoutNew) {
        const removed = this.mapping.get(window.id);
        this.mapping.delete(window.id);
        if (removed && removed.stateWindow.id !== stateWindowResult.id) mergedStateWindows.push(removed.stateWindow);
      }
      this.mapping.set(result.id, { window: result, stateWindow: stateWindowResult });
      // One in-flight window merged with nothing but itself (the new window fell inside it): no state moves.
      const onlyItself = withoutNew.length === 1 && withoutNew[0].id === result.id;
      if (!onlyItself) merge(result, withoutNew, stateWindowResult, mergedStateWindows);
    }
    // The new window merged with nothing: it is its own state window.
    if (!mergedNewWindow) this.mapping.set(newWindow.id, { window: newWindow, stateWindow: newWindow });
    return resultWindow;
  }
}
