// Keyed state and timers.
export * from "./keyed-state-backend.ts";
export * from "./timer-service.ts";
