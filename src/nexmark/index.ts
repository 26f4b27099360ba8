// The Nexmark benchmark's event generator: the Person/Auction/Bid model, the generator faithful to
// the reference implementation, and the weir Source that runs it in parallel splits.

export type { Person, Auction, Bid, NexmarkEvent } from "./model.ts";
export { nexmarkEventProblem, eventTime } from "./model.ts";
export {
  DEFAULT_NEXMARK_CONFIG,
  FIRST_PERSON_ID,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  nexmarkConfig,
  splitEvents,
  timestampForEvent,
  type NexmarkConfig,
  type GeneratorSplit,
} from "./generator-config.ts";
export { NexmarkGenerator, generateEvents } from "./event-generator.ts";
export { nexmarkSource, nexmarkWatermarks, NEXMARK_WATERMARK_DELAY_MS, type NexmarkSourceOptions } from "./nexmark-source.ts";
export { readEventsFile, writeEventsNdjson } from "./events-file.ts";
