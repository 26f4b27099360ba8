// Joins: keyed two-input streams (KeyedCoProcessFunction), the interval join, and window joins and coGroup.
export * from "./keyed-two-input-operator.ts";
export * from "./keyed-co-process-function.ts";
export * from "./keyed-co-process-operator.ts";
export * from "./process-join-function.ts";
export * from "./interval-buffer.ts";
export * from "./interval-join-operator.ts";
export * from "./join-functions.ts";
