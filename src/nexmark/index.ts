// The Nexmark benchmark's event generator: the Person/Auction/Bid model, the generator faithful to
// the reference implementation, and the weir Source that runs it in parallel splits.

export type { Person, Auction, Bid, NexmarkEvent } from "./model.ts";
export { nexmarkEventProblem } from "./model.ts";
export { nexmarkConfig, splitEvents } from "./generator-config.ts";
export { NexmarkGenerator, generateEvents } from "./event-generator.ts";
export { nexmarkSource, nexmarkWatermarks } from "./nexmark-source.ts";
export { readEventsFile, writeEventsNdjson } from "./events-file.ts";
