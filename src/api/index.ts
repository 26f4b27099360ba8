// The DataStream API.
export * from "./environment.ts";
export * from "./data-stream.ts";
export * from "./functions.ts";
export * from "./process-functions.ts";
export * from "./output-tag.ts";
export * from "./executor.ts";
export * from "./watermark-strategy.ts";
