// The data plane of a subtask: frames, channels, credits, partitioners.
export * from "./partitioners.ts";
export * from "./channel-writer.ts";
export * from "./input-gate.ts";
export * from "./operator-chain.ts";
export * from "./stream-task.ts";
export * from "./watermark-valve.ts";
export * from "./subtask-time.ts";
