// Where the user's split enumerator meets its actor: the context it is given (assignSplits and
// friends become commands the actor turns into messages; callAsync runs I/O off the actor and
// hands the result back as an event), and the catch that turns its exceptions into a failure.
// Sends nothing itself: the actor (split-enumerator.ts) publishes.

import type { AnyActorRef } from "xstate";
import type { Clock } from "../core/clock.ts";
import { isUnrecoverable } from "../core/errors.ts";
import { refusal, registeredReaders, type EnumeratorCommand, type SplitAssignmentState } from "../coordinator/split-assignment.ts";
import type { Source, SplitEnumerator, SplitEnumeratorContext } from "../operators/source.ts";
import { describeError } from "./actor-deps.ts";

export interface EnumeratorHostOptions {
  source: Source<unknown>;
  parallelism: number;
  clock: Clock;
  restoredState?: unknown;
  /** The actor: async results come back to it as ASYNC_DONE / ASYNC_FAILED. */
  self: AnyActorRef;
}

export class EnumeratorHost {
  /** Set once the user's enumerator threw: the actor reports it and stops calling it. */
  failure?: string;
  /** The failure is one no restart can cure (an UnrecoverableError). */
  unrecoverable = false;
  private view?: SplitAssignmentState;
  private commands: EnumeratorCommand[] = [];
  private readonly results = new Map<number, () => void>();
  private readonly timers = new Set<unknown>();
  private nextId = 1;
  private closed = false;
  private enumerator?: SplitEnumerator;
  readonly context: SplitEnumeratorContext;

  constructor(private readonly options: EnumeratorHostOptions) {
    const host = this;
    this.context = {
      parallelism: options.parallelism,
      clock: options.clock,
      registeredReaders: () => (host.view ? registeredReaders(host.view) : []),
      assignSplits(subtaskIndex, splits) {
        if (!Array.isArray(splits)) throw new Error(`assignSplits(${subtaskIndex}, …): splits must be an array`);
        host.command("assignSplits", { kind: "assign", subtask: subtaskIndex, splits: [...splits] });
      },
      signalNoMoreSplits: (subtaskIndex) => host.command("signalNoMoreSplits", { kind: "no-more-splits", subtask: subtaskIndex }),
      sendEventToReader: (subtaskIndex, event) => host.command("sendEventToReader", { kind: "event", subtask: subtaskIndex, event }),
      callAsync: (work, handle, periodMs) => host.callAsync(work, handle, periodMs),
    };
  }

  /** The user's enumerator, fresh or restored; undefined (and `failure` set) if that throws. */
  create(): SplitEnumerator | undefined {
    const { source, restoredState } = this.options;
    try {
      this.enumerator = source.createEnumerator!(this.context, restoredState);
    } catch (error) {
      this.failure = describeError(error);
      this.unrecoverable = isUnrecoverable(error);
    }
    return this.enumerator;
  }

  /** Runs a call of the user's code; returns the commands it issued (none if it threw). */
  collect(view: SplitAssignmentState, call: () => void): EnumeratorCommand[] {
    if (this.failure !== undefined) return [];
    this.view = view;
    this.commands = [];
    try {
      call();
      return this.commands;
    } catch (error) {
      this.failure = describeError(error);
      this.unrecoverable = isUnrecoverable(error);
      return [];
    } finally {
      this.commands = [];
    }
  }

  /** The enumerator's state for `checkpointId` (it may not send anything meanwhile). */
  snapshot(enumerator: SplitEnumerator, checkpointId: number): unknown {
    let state: unknown;
    const sent = this.collect(this.view ?? { readers: [], handouts: [], lastSnapshot: 0 }, () => (state = enumerator.snapshotState(checkpointId)));
    if (sent.length > 0) this.failure ??= "snapshotState must not assign splits or send events";
    return state;
  }

  /** An async result came back: its handler runs now, inside the actor. */
  complete(id: number): void {
    const handle = this.results.get(id);
    this.results.delete(id);
    handle?.();
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) this.options.clock.clearTimeout(timer);
    this.timers.clear();
    try {
      this.enumerator?.close?.();
    } catch {
      // Closing at the end of an execution: nothing is lost if it fails.
    }
  }

  private command(what: string, command: EnumeratorCommand): void {
    const why = this.view ? refusal(this.view, command.subtask) : "the enumerator is not running";
    if (why !== undefined) throw new Error(`${what}(${command.subtask}): ${why}`);
    this.commands.push(command);
  }

  private callAsync<R>(work: () => Promise<R>, handle: (result: R) => void, periodMs?: number): void {
    if (periodMs !== undefined && !(periodMs > 0)) throw new Error(`callAsync: periodMs must be > 0, got ${periodMs}`);
    const run = () => {
      if (this.closed) return;
      const id = this.nextId++;
      Promise.resolve()
        .then(work)
        .then(
          (result) => {
            if (this.closed) return;
            this.results.set(id, () => {
              handle(result);
              if (periodMs !== undefined) this.later(run, periodMs);
            });
            this.options.self.send({ type: "ASYNC_DONE", id });
          },
          (error: unknown) => {
            if (!this.closed) this.options.self.send({ type: "ASYNC_FAILED", error: describeError(error), unrecoverable: isUnrecoverable(error) });
          },
        );
    };
    run();
  }

  private later(fn: () => void, ms: number): void {
    const timer = this.options.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}
