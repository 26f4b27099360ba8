// The generator's configuration and its arithmetic (the reference's NexmarkConfiguration and
// GeneratorConfig): defaults, validation, splitting into parallel timelines, event ids, event times
// and the id spaces of people and auctions. Pure functions of the configuration.

/** The knobs of the reference's NexmarkConfiguration that shape the events, with its defaults. */
export interface NexmarkConfig {
  /** Mixed into every event's randomness: the same seed gives the same events. Default 0. */
  seed: number;
  /** Event-time rate of one timeline: events per second of event time. Default 10,000 (the reference's firstEventRate). */
  firstEventRate: number;
  /** Event time of each timeline's first event, epoch ms. Default 2026-01-01T00:00:00Z (fixed, so runs repeat). */
  baseTime: number;
  personProportion: number;
  auctionProportion: number;
  bidProportion: number;
  avgPersonByteSize: number;
  avgAuctionByteSize: number;
  avgBidByteSize: number;
  /** 1 in hotAuctionRatio bids go to a random in-flight auction, the others to the current hot auction. */
  hotAuctionRatio: number;
  hotSellersRatio: number;
  hotBiddersRatio: number;
  numInFlightAuctions: number;
  numActivePeople: number;
}

export const DEFAULT_NEXMARK_CONFIG: Readonly<NexmarkConfig> = Object.freeze({
  seed: 0,
  firstEventRate: 10_000,
  baseTime: Date.UTC(2026, 0, 1),
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
});

export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;

/** Completes a partial configuration with the defaults and rejects values that cannot work. */
export function nexmarkConfig(overrides: Partial<NexmarkConfig> = {}): NexmarkConfig {
  const config = { ...DEFAULT_NEXMARK_CONFIG, ...overrides };
  if (!Number.isSafeInteger(config.seed) || config.seed < 0) throw new Error(`nexmark seed must be an integer >= 0, got ${config.seed}`);
  if (!(config.firstEventRate > 0) || !Number.isFinite(config.firstEventRate)) throw new Error(`nexmark firstEventRate must be a positive number of events per second, got ${config.firstEventRate}`);
  if (!Number.isSafeInteger(config.baseTime)) throw new Error(`nexmark baseTime must be epoch milliseconds, got ${config.baseTime}`);
  for (const key of ["personProportion", "auctionProportion", "bidProportion", "hotAuctionRatio", "hotSellersRatio", "hotBiddersRatio", "numInFlightAuctions", "numActivePeople"] as const) {
    if (!Number.isSafeInteger(config[key]) || config[key] < 1) throw new Error(`nexmark ${key} must be an integer >= 1, got ${config[key]}`);
  }
  return config;
}

/** One timeline of events: ids [firstEventId, firstEventId + events), event numbers from 0. */
export interface GeneratorSplit {
  firstEventId: number;
  events: number;
}

/** Events per split when the total is unbounded (the reference scales Long.MAX_VALUE down the same way). */
function unboundedEvents(config: NexmarkConfig): number {
  const total = config.personProportion + config.auctionProportion + config.bidProportion;
  return Math.floor(Number.MAX_SAFE_INTEGER / (total * Math.max(config.avgPersonByteSize, config.avgAuctionByteSize, config.avgBidByteSize)));
}

/**
 * Splits `events` (Infinity: unbounded) into `n` timelines with distinct id ranges, as the
 * reference's GeneratorConfig.split: each split counts event numbers, and so event time, from 0.
 */
export function splitEvents(config: NexmarkConfig, events: number, n: number): GeneratorSplit[] {
  const max = events === Infinity ? unboundedEvents(config) : events;
  if (!Number.isSafeInteger(max) || max < 0) throw new Error(`nexmark events must be an integer >= 0, got ${events}`);
  const per = Math.floor(max / n);
  return Array.from({ length: n }, (_, i) => ({ firstEventId: i * per, events: i === n - 1 ? max - per * (n - 1) : per }));
}

/** Event time of event number `eventNumber` of a timeline: baseTime + number × inter-event delay. */
export function timestampForEvent(config: NexmarkConfig, eventNumber: number): number {
  const interEventDelayUs = 1_000_000 / config.firstEventRate;
  return config.baseTime + Math.floor(Math.floor(eventNumber * interEventDelayUs) / 1000);
}

function totalProportion(config: NexmarkConfig): number {
  return config.personProportion + config.auctionProportion + config.bidProportion;
}

/** The kind of event `eventId` is: its place in each block of (person + auction + bid) proportions. */
export function eventKind(config: NexmarkConfig, eventId: number): "person" | "auction" | "bid" {
  const rem = eventId % totalProportion(config);
  if (rem < config.personProportion) return "person";
  return rem < config.personProportion + config.auctionProportion ? "auction" : "bid";
}

/** The 0-based id of the last person created at or before `eventId`. */
export function lastBase0PersonId(config: NexmarkConfig, eventId: number): number {
  const total = totalProportion(config);
  const epoch = Math.floor(eventId / total);
  const offset = Math.min(eventId % total, config.personProportion - 1);
  return epoch * config.personProportion + offset;
}

/** The 0-based id of the last auction created at or before `eventId`. */
export function lastBase0AuctionId(config: NexmarkConfig, eventId: number): number {
  const total = totalProportion(config);
  let epoch = Math.floor(eventId / total);
  let offset = eventId % total;
  if (offset < config.personProportion) {
    epoch -= 1;
    offset = config.auctionProportion - 1;
  } else if (offset >= config.personProportion + config.auctionProportion) {
    offset = config.auctionProportion - 1;
  } else {
    offset -= config.personProportion;
  }
  return epoch * config.auctionProportion + offset;
}

/** How many events of a timeline make `numInFlightAuctions` auctions (the auction-length horizon). */
export function eventsForInFlightAuctions(config: NexmarkConfig): number {
  return Math.floor((config.numInFlightAuctions * totalProportion(config)) / config.auctionProportion);
}
