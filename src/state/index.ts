// Keyed state (by key group, with TTL), operator and broadcast state, snapshots and timers.
export * from "../core/state-descriptors.ts";
export * from "../core/state-ttl.ts";
export * from "../core/keyed-state.ts";
export * from "./keyed-state-backend.ts";
export * from "./heap-keyed-state-backend.ts";
export * from "./state-table.ts";
export * from "./key-group-snapshots.ts";
export * from "./operator-state.ts";
export * from "./broadcast-state.ts";
export * from "./checkpointed-function.ts";
export * from "./timer-service.ts";
