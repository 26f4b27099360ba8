// Pure decisions of the job manager: slots, deployment plans, task state tracking.
export * from "./slot-pool.ts";
export * from "./execution-plan.ts";
export * from "./task-tracker.ts";
export * from "./pending-checkpoint.ts";
export * from "./checkpoint-planner.ts";
export * from "./restart-strategy.ts";
export * from "./failover-regions.ts";
export * from "./completed-checkpoint.ts";
