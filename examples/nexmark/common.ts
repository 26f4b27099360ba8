// What every Nexmark query job shares: its command line (where the events come from, where the
// results go, the parallelism), the event input with Nexmark's watermarks, the split of that input
// into bids, auctions and persons, and running a query embedded from `npx tsx examples/nexmark/qN.ts`.
//
// Options (after `--` with `weir run`, directly with `npx tsx`):
//   --events N        generate N events (default 1,000,000; with --rate and no --events: unbounded)
//   --rate R          events per second over all source subtasks (default: as fast as possible)
//   --seed S          generator seed (default 0)
//   --first-event-rate E  generated events per second of event time in each timeline (default 10,000)
//   --events-file P   read NDJSON events from P instead (as `weir nexmark generate` writes them)
//   --output P        write result rows to P as NDJSON (default: discard them)
//   --parallelism N   parallelism of the job (default: the environment's)

import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { defineJob, StreamExecutionEnvironment, type DataStream, type JobDefinition } from "../../src/index.ts";
import { nexmarkConfig, nexmarkSource, nexmarkWatermarks, readEventsFile, type Auction, type Bid, type NexmarkEvent, type Person } from "../../src/nexmark/index.ts";

export interface QueryOptions {
  /** Events to generate; Infinity for an unbounded generator. */
  events: number;
  ratePerSecond?: number;
  seed: number;
  /** Events per second of event time in each generated timeline; the generator's default when absent. */
  firstEventRate?: number;
  eventsFile?: string;
  output?: string;
  parallelism?: number;
}

export const DEFAULT_EVENTS = 1_000_000;

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be an integer >= 0, got ${text}`);
  return value;
}

/** Parses a query job's arguments; an unknown option or a bad number throws, naming it. */
export function parseQueryArgs(args: readonly string[]): QueryOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      events: { type: "string" },
      rate: { type: "string" },
      seed: { type: "string" },
      "first-event-rate": { type: "string" },
      "events-file": { type: "string" },
      output: { type: "string" },
      parallelism: { type: "string" },
    },
  });
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) throw new Error(`--rate must be a positive number of events per second, got ${values.rate}`);
  const parallelism = count("parallelism", values.parallelism);
  if (parallelism === 0) throw new Error("--parallelism must be at least 1");
  const firstEventRate = count("first-event-rate", values["first-event-rate"]);
  if (firstEventRate === 0) throw new Error("--first-event-rate must be at least 1");
  const events = count("events", values.events) ?? (rate === undefined ? DEFAULT_EVENTS : Infinity);
  const seed = count("seed", values.seed) ?? 0;
  return { events, ratePerSecond: rate, seed, firstEventRate, eventsFile: values["events-file"], output: values.output, parallelism };
}

/**
 * The query's input: the generator (one timeline per source subtask) or an events file (read on
 * one subtask, in file order), with timestamps from `dateTime` and watermarks 4 s behind.
 */
export function nexmarkEvents(env: StreamExecutionEnvironment, options: QueryOptions): DataStream<NexmarkEvent> {
  if (options.eventsFile !== undefined) {
    const events = readEventsFile(env.resolvePath(options.eventsFile));
    return env.fromCollection(events).name("nexmark-file").assignTimestampsAndWatermarks(nexmarkWatermarks()).setParallelism(1);
  }
  const config = nexmarkConfig(options.firstEventRate === undefined ? { seed: options.seed } : { seed: options.seed, firstEventRate: options.firstEventRate });
  const source = nexmarkSource(config, { events: options.events, ratePerSecond: options.ratePerSecond });
  return env.fromSource(source, "nexmark", nexmarkWatermarks());
}

export function bids(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return events
    .flatMap<Bid>((e, out) => {
      if (e.type === "bid") out.collect(e);
    })
    .name("bids");
}

export function auctions(events: DataStream<NexmarkEvent>): DataStream<Auction> {
  return events
    .flatMap<Auction>((e, out) => {
      if (e.type === "auction") out.collect(e);
    })
    .name("auctions");
}

export function persons(events: DataStream<NexmarkEvent>): DataStream<Person> {
  return events
    .flatMap<Person>((e, out) => {
      if (e.type === "person") out.collect(e);
    })
    .name("persons");
}

/** A query: from the events to its result rows. */
export type Query<R> = (events: DataStream<NexmarkEvent>) => DataStream<R>;

/** Builds a query on `env`: input, query, and its sink (an NDJSON file on one subtask, or discard). */
export function buildQuery<R>(env: StreamExecutionEnvironment, query: Query<R>, options: QueryOptions): void {
  if (options.parallelism !== undefined) env.setParallelism(options.parallelism);
  const results = query(nexmarkEvents(env, options));
  if (options.output !== undefined) results.writeAsNdjson(options.output).name("results").setParallelism(1);
  else results.addSink(() => undefined).name("discard");
}

/** The job module's default export: `weir run examples/nexmark/q5.ts -- --events 100000`. */
export function queryJob<R>(query: Query<R>): JobDefinition {
  return defineJob((env, args) => buildQuery(env, query, parseQueryArgs(args)));
}

/**
 * When the module is the script Node started (`npx tsx examples/nexmark/q5.ts …`), runs the query
 * embedded and prints its time and events per second to stderr.
 */
export async function runIfMain<R>(moduleUrl: string, name: string, query: Query<R>): Promise<void> {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(script).href !== moduleUrl) return;
  const options = parseQueryArgs(process.argv.slice(2));
  const env = new StreamExecutionEnvironment();
  buildQuery(env, query, options);
  const started = performance.now();
  await env.execute(`nexmark-${name}`);
  const ms = performance.now() - started;
  const events = options.eventsFile === undefined ? options.events : "file";
  const rate = typeof events === "number" ? Math.round((events * 1000) / ms) : undefined;
  process.stderr.write(`${JSON.stringify({ query: name, events, parallelism: env.getParallelism(), ms: Math.round(ms), events_per_s: rate })}\n`);
}
