// Nexmark as a weir Source: one generator timeline (split) per subtask, as the reference's source
// splits its GeneratorConfig by parallelism; bounded or not, as fast as possible or rate-limited.
// A reader's position is its splits' next event numbers, so a restored job resumes where it was.

import { WatermarkStrategy } from "../core/watermark-strategy.ts";
import type { Source, SourceReader } from "../operators/source.ts";
import { NexmarkGenerator } from "./event-generator.ts";
import { splitEvents, type GeneratorSplit, type NexmarkConfig } from "./generator-config.ts";
import type { NexmarkEvent } from "./model.ts";

/** Nexmark's watermark: the event time seen so far minus 4 s (the reference DDL's `dateTime - INTERVAL '4' SECOND`). */
export const NEXMARK_WATERMARK_DELAY_MS = 4_000;

export interface NexmarkSourceOptions {
  /** Events over all subtasks; unbounded when absent. */
  events?: number;
  /** Events per second (wall clock) over all subtasks; as fast as possible when absent. */
  ratePerSecond?: number;
}

interface SplitPosition extends GeneratorSplit {
  next: number;
}

function isSplitPosition(value: unknown): value is SplitPosition {
  const v = value as Partial<SplitPosition> | null;
  return typeof v === "object" && v !== null && Number.isSafeInteger(v.firstEventId) && Number.isSafeInteger(v.events) && Number.isSafeInteger(v.next);
}

/**
 * A parallel Nexmark source: subtask i of p generates split i of `splitEvents(config, events, p)`.
 *
 * @example
 * env.fromSource(nexmarkSource(nexmarkConfig({ seed: 1 }), { events: 1_000_000 }), "nexmark", nexmarkWatermarks());
 */
export function nexmarkSource(config: NexmarkConfig, options: NexmarkSourceOptions = {}): Source<NexmarkEvent> {
  const { events = Infinity, ratePerSecond } = options;
  if (events !== Infinity && (!Number.isSafeInteger(events) || events < 0)) throw new Error(`nexmark events must be an integer >= 0, got ${events}`);
  if (ratePerSecond !== undefined && !(ratePerSecond > 0)) throw new Error(`nexmark rate must be > 0 events per second, got ${ratePerSecond}`);
  return {
    parallel: true,
    createReader: ({ subtaskIndex, parallelism, clock, restoredSplits }): SourceReader<NexmarkEvent> => {
      const positions: SplitPosition[] =
        restoredSplits?.map((split) => {
          if (!isSplitPosition(split)) throw new Error(`a restored nexmark split must be {firstEventId, events, next}, got ${JSON.stringify(split)}`);
          return { ...split };
        }) ?? [{ ...splitEvents(config, events, parallelism)[subtaskIndex], next: 0 }];
      const generators = positions.map((p) => new NexmarkGenerator(config, p, p.next));
      // Each split's share of the rate is its share of all events, so a restore at another parallelism keeps the job's rate.
      const allEvents = splitEvents(config, events, 1)[0].events;
      const share = allEvents === 0 ? 1 / parallelism : positions.reduce((sum, p) => sum + p.events, 0) / allEvents;
      const perSubtask = ratePerSecond === undefined ? Infinity : ratePerSecond * share;
      let current = 0;
      let emitted = 0;
      let startedAt = -1;
      return {
        pollNext(output) {
          while (current < generators.length && !generators[current].hasNext()) current += 1;
          if (current >= generators.length) return "end";
          if (perSubtask !== Infinity) {
            const now = clock.now();
            if (startedAt < 0) startedAt = now;
            if (emitted >= Math.floor(((now - startedAt) * perSubtask) / 1000) + 1) return "nothing";
          }
          output.collect(generators[current].next());
          emitted += 1;
          return generators[current].hasNext() || current + 1 < generators.length ? "more" : "end";
        },
        available() {
          const waitMs = Math.max(1, Math.ceil((emitted * 1000) / perSubtask - (clock.now() - startedAt)));
          return new Promise((resolve) => clock.setTimeout(resolve, waitMs));
        },
        snapshotState: () =>
          positions.flatMap((p, i) => (generators[i].hasNext() ? [{ firstEventId: p.firstEventId, events: p.events, next: generators[i].eventNumber }] : [])),
      };
    },
  };
}

/** Timestamps from `dateTime`; watermarks 4 s behind the highest event time seen. */
export function nexmarkWatermarks<T extends { dateTime: number } = NexmarkEvent>(): WatermarkStrategy<T> {
  return WatermarkStrategy.forBoundedOutOfOrderness<T>(NEXMARK_WATERMARK_DELAY_MS).withTimestampAssigner((event) => event.dateTime);
}
