// Runs a barrier-handler trace as a subtask would, in Flink's style: a list of data(n, ch),
// barrier(id, ch), priority(id, ch), cancel(id), end(ch) and timeout(id) elements arriving on a
// subtask's channels; elements of a blocked channel wait and are processed, in order, on release.
// The result: the checkpoint sequence (negative = aborted), the data processed in order, and what
// each completed unaligned checkpoint stored of its input channels.

import { initialBarrierState, transition, type AlignmentMode, type Barrier, type BarrierHandlerState } from "../../../src/runtime/barriers/barrier-handler.ts";

export type Element =
  | { data: number; ch: number }
  | { barrier: number; ch: number; savepoint?: true }
  | { priority: number; ch: number }
  | { cancel: number }
  | { end: number }
  | { timeout: number }
  | { inject: number; unaligned?: true };
export const data = (n: number, ch: number): Element => ({ data: n, ch });
export const barrier = (id: number, ch: number): Element => ({ barrier: id, ch });
export const savepointBarrier = (id: number, ch: number): Element => ({ barrier: id, ch, savepoint: true });
/** An unaligned barrier that overtakes everything queued on its channel. */
export const priority = (id: number, ch: number): Element => ({ priority: id, ch });
export const cancel = (id: number): Element => ({ cancel: id });
export const end = (ch: number): Element => ({ end: ch });
/** The aligned-checkpoint timeout of `id` expires (ignored unless its timer runs). */
export const timeout = (id: number): Element => ({ timeout: id });

export interface TraceResult {
  checkpoints: number[];
  processed: number[];
  /** Per completed unaligned checkpoint: the data it stored, per channel that owed any. */
  inflight: Record<number, Record<number, number[]>>;
  blocked: number[];
  state: BarrierHandlerState;
}

export function run(mode: AlignmentMode, channels: number, trace: Element[], options: { alignedTimeoutMs?: number } = {}): TraceResult {
  let state = initialBarrierState({ mode, channels, alignedTimeoutMs: options.alignedTimeoutMs });
  const result: TraceResult = { checkpoints: [], processed: [], inflight: {}, blocked: [], state };
  const blocked = new Set<number>();
  /** Elements that arrived on a channel and wait to be processed (the channel is blocked). */
  const queues = Array.from({ length: channels }, () => [] as Element[]);
  const recording = new Map<number, { id: number; data: number[] }>();
  const copies = new Map<number, Record<number, number[]>>();
  const timers = new Set<number>();
  const bar = (id: number, savepoint?: true, unaligned?: true): Barrier => ({ kind: "barrier", checkpointId: id, timestamp: 0, mode, savepointDir: savepoint ? "dir" : undefined, unaligned });
  const settled = (id: number) => queues.flatMap((q, ch) => (q.some((e) => ("barrier" in e && e.barrier === id) || "end" in e) ? [ch] : []));
  const queued = (ch: number) => queues[ch].flatMap((e) => ("data" in e ? [e.data] : []));

  const dispatch = (event: Parameters<typeof transition>[1]): void => {
    const step = transition(state, event, 0);
    state = step.state;
    let release = false;
    for (const effect of step.effects) {
      switch (effect.kind) {
        case "snapshot":
          result.checkpoints.push(effect.barrier.checkpointId);
          break;
        case "aborted":
          result.checkpoints.push(-effect.checkpointId);
          break;
        case "abandon-unaligned":
          result.checkpoints.push(-effect.checkpointId);
          copies.delete(effect.checkpointId);
          break;
        case "block":
          blocked.add(effect.channel);
          break;
        case "release-all":
          blocked.clear();
          release = true;
          break;
        case "start-unaligned": {
          const id = effect.barrier.checkpointId;
          const copy: Record<number, number[]> = {};
          for (const ch of effect.copy) copy[ch] = queued(ch);
          for (const ch of effect.record) recording.set(ch, { id, data: copy[ch] });
          copies.set(id, copy);
          break;
        }
        case "stop-recording":
          recording.delete(effect.channel);
          break;
        case "complete-unaligned":
          result.checkpoints.push(effect.checkpointId);
          result.inflight[effect.checkpointId] = Object.fromEntries(Object.entries(copies.get(effect.checkpointId)!).filter(([, d]) => d.length > 0));
          break;
        case "start-alignment-timer":
          timers.add(effect.checkpointId);
          break;
        case "cancel-alignment-timer":
          timers.clear();
          break;
        case "count-alignment-timeout":
          break;
      }
    }
    if (release) for (let ch = 0; ch < channels; ch++) drain(ch);
  };

  const process = (element: Element, ch: number): void => {
    if ("data" in element) result.processed.push(element.data);
    else if ("barrier" in element) dispatch({ type: "barrier", channel: ch, barrier: bar(element.barrier, element.savepoint) });
    else if ("end" in element) dispatch({ type: "end-of-partition", channel: ch });
  };
  const drain = (ch: number): void => {
    while (queues[ch].length > 0 && !blocked.has(ch)) process(queues[ch].shift()!, ch);
  };
  const arrive = (element: Element): void => {
    if ("cancel" in element) {
      dispatch({ type: "abort", checkpointId: element.cancel });
      return;
    }
    if ("timeout" in element) {
      if (timers.has(element.timeout)) dispatch({ type: "alignment-timeout", checkpointId: element.timeout, settled: settled(element.timeout) });
      return;
    }
    if ("inject" in element) {
      dispatch({ type: "inject", barrier: bar(element.inject, undefined, element.unaligned) });
      return;
    }
    if ("priority" in element) {
      dispatch({ type: "priority-barrier", channel: element.ch, barrier: bar(element.priority, undefined, true), settled: settled(element.priority) });
      return;
    }
    const ch = "ch" in element ? element.ch : element.end;
    const rec = recording.get(ch);
    if (rec && "data" in element) rec.data.push(element.data);
    queues[ch].push(element);
    if (rec && "barrier" in element && element.barrier === rec.id) {
      recording.delete(ch);
      dispatch({ type: "recorded-barrier", channel: ch, checkpointId: rec.id });
    }
    drain(ch);
  };
  for (const element of trace) arrive(element);
  result.blocked = [...blocked];
  result.state = state;
  return result;
}
