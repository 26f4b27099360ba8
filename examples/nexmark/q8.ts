// Nexmark q8, monitor new users: the persons who opened an auction in the same 10 s tumbling
// window in which they registered.
//
//   SELECT P.id, P.name, P.starttime
//   FROM (SELECT id, name, window_start AS starttime, window_end AS endtime
//         FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//         GROUP BY id, name, window_start, window_end) P
//   JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
//         FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//         GROUP BY seller, window_start, window_end) A
//   ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
//
// A window coGroup of persons (by id) and auctions (by seller): one row per distinct (id, name)
// of a window in which the key also has an auction. stime is the window's start.
//
//   npx tsx examples/nexmark/q8.ts --events 1000000

import { TumblingEventTimeWindows, type Collector, type DataStream } from "../../src/index.ts";
import type { Auction, NexmarkEvent, Person } from "../../src/nexmark/index.ts";
import { auctions, persons, queryJob, runIfMain } from "./common.ts";

export interface Q8Row {
  id: number;
  name: string;
  stime: number;
}

const SIZE_MS = 10_000;

/** The columns q8 reads: only these cross the shuffle, as Flink's planner projects. */
type NewPerson = Pick<Person, "id" | "name" | "dateTime">;
type Sale = Pick<Auction, "seller" | "dateTime">;

function newSellers(people: readonly NewPerson[], sold: readonly Sale[], out: Collector<Q8Row>): void {
  if (people.length === 0 || sold.length === 0) return;
  // Tumbling windows from 0: a window's start is its elements' time rounded down to the size.
  const stime = people[0].dateTime - (people[0].dateTime % SIZE_MS);
  const names = new Set<string>();
  for (const p of people) {
    if (names.has(p.name)) continue;
    names.add(p.name);
    out.collect({ id: p.id, name: p.name, stime });
  }
}

export function q8(events: DataStream<NexmarkEvent>): DataStream<Q8Row> {
  const people = persons(events)
    .map((p): NewPerson => ({ id: p.id, name: p.name, dateTime: p.dateTime }))
    .name("new-persons");
  const sales = auctions(events)
    .map((a): Sale => ({ seller: a.seller, dateTime: a.dateTime }))
    .name("sales");
  return people
    .coGroup(sales)
    .where((p) => p.id)
    .equalTo((a) => a.seller)
    .window(TumblingEventTimeWindows.of(SIZE_MS))
    .apply(newSellers)
    .name("q8-new-sellers");
}

export default queryJob(q8);
await runIfMain(import.meta.url, "q8", q8);
