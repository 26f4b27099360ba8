// Putting actors together: job manager and worker processes, the embedded mini cluster, job submission.
export { startJobManager, type JobManagerOptions, type RunningJobManager } from "./job-manager.ts";
export { startWorker, type WorkerOptions, type RunningWorker } from "./task-manager.ts";
export { MiniCluster, EmbeddedExecutor, type MiniClusterOptions } from "./mini-cluster.ts";
export { RemoteExecutor, type RemoteExecutorOptions } from "./remote-executor.ts";
export { runJob, cancelJob, newJobId, type RunJobOptions } from "./job-client.ts";
export { createJobLoader, importJobDefinition } from "./job-loader.ts";
