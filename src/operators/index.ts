// Operators: the small interface, and the built-in sources, transformations and sinks.
export * from "./operator.ts";
export * from "./source.ts";
export * from "./stateless.ts";
export * from "./keyed.ts";
export * from "./process.ts";
export * from "./sinks.ts";
export * from "./timestamps-and-watermarks.ts";
export * from "./combined-watermark.ts";
export * from "./keyed-transformations.ts";
export * from "./broadcast-operators.ts";
export * from "./async-wait.ts";
export * from "./async-result-queue.ts";
