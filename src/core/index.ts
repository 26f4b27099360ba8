// The ground floor: the contracts every layer uses and that import nothing else of weir — the
// clock, key groups, subject tokens, user-function types, Collector and RuntimeContext, state
// descriptors and handles, timers and broadcast state as user functions see them, watermark
// strategies and output tags.
export * from "./clock.ts";
export * from "./key-groups.ts";
export * from "./tokens.ts";
export * from "./collector.ts";
export * from "./functions.ts";
export * from "./process-functions.ts";
export * from "./broadcast-process-functions.ts";
export * from "./output-tag.ts";
export * from "./watermark-strategy.ts";
export * from "./state-descriptors.ts";
export * from "./state-ttl.ts";
export * from "./keyed-state.ts";
export * from "./broadcast-state.ts";
export * from "./timer-service.ts";
export * from "./errors.ts";
