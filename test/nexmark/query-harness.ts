// What the Nexmark query tests share: one fixed generated input (the events of every source
// subtask's timeline, as the brute-force checks see them), running a query embedded on it, and
// comparing rows as multisets or as the last row per key.

import { StreamExecutionEnvironment } from "../../src/index.ts";
import { NexmarkGenerator, nexmarkConfig, splitEvents, type Auction, type Bid, type NexmarkEvent, type Person } from "../../src/nexmark/index.ts";
import { nexmarkEvents, type Query, type QueryOptions } from "../../examples/nexmark/common.ts";

/** 40,000 events over two timelines at 500 events per second of event time: 40 s of event time each. */
export const INPUT: QueryOptions = { events: 40_000, seed: 7, firstEventRate: 500 };
export const PARALLELISM = 2;

/** Every event the job's two source subtasks generate, timeline after timeline. */
export function inputEvents(options: QueryOptions = INPUT, parallelism = PARALLELISM): NexmarkEvent[] {
  const config = nexmarkConfig({ seed: options.seed, firstEventRate: options.firstEventRate });
  const events: NexmarkEvent[] = [];
  for (const split of splitEvents(config, options.events, parallelism)) {
    const timeline = new NexmarkGenerator(config, split);
    while (timeline.hasNext()) events.push(timeline.next());
  }
  return events;
}

export const bidsOf = (events: readonly NexmarkEvent[]): Bid[] => events.filter((e): e is Bid => e.type === "bid");
export const auctionsOf = (events: readonly NexmarkEvent[]): Auction[] => events.filter((e): e is Auction => e.type === "auction");
export const personsOf = (events: readonly NexmarkEvent[]): Person[] => events.filter((e): e is Person => e.type === "person");

/** Runs `query` embedded on the generator with INPUT and collects its rows. */
export async function runQuery<R>(query: Query<R>, parallelism = PARALLELISM): Promise<R[]> {
  const env = new StreamExecutionEnvironment({ parallelism });
  const rows = query(nexmarkEvents(env, INPUT)).collect();
  await env.execute();
  return rows.values;
}

/** Rows in a canonical order (by their JSON text), for comparing multisets. */
export function sorted<R>(rows: readonly R[]): R[] {
  return rows
    .map((row) => [JSON.stringify(row), row] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, row]) => row);
}

/** The last row per key: the final result of an updating query on a bounded input. */
export function lastPerKey<R, K>(rows: readonly R[], key: (row: R) => K): Map<K, R> {
  const last = new Map<K, R>();
  for (const row of rows) last.set(key(row), row);
  return last;
}
