// Pure decisions of the job manager: slots, deployment plans, task state tracking.
export * from "./slot-pool.ts";
export * from "./execution-plan.ts";
export * from "./task-tracker.ts";
