// weir/testing: what a user needs to test jobs and actors — record and replay traces on a
// simulated clock, start a real nats-server, start weir processes.

export { replayActor, type ReplayOptions, type ReplayReport, type ReplayMismatch, type ReplayContext } from "./replay.ts";
export { TraceRecorder, readTrace, busFor, type TraceEntry } from "../bus/trace.ts";
export { SimulatedClock, systemClock, type Clock } from "../core/clock.ts";
export { startNatsServer, startNatsCluster, freePort, type NatsServerHandle, type NatsServerOptions, type NatsClusterHandle } from "./nats-server.ts";
export { startWeirProcess, startJobManagerProcess, startWorkerProcess, restEndpointOf, runWeir, runProcess, type FinishedProcess, type WeirProcess } from "./processes.ts";
export { MetricRegistry } from "../observability/metrics.ts";
// What a replay test starts and inspects: the actor machines, the codec, job graphs and loaders.
export { jobMasterMachine, workerMachine, subtaskMachine, dispatcherMachine, resourceManagerMachine } from "../actors/index.ts";
export { encode, decode } from "../messages/codec.ts";
export type { Message, SubmitJob, DeployTask, RegisterWorker, TaskStateChanged } from "../messages/schema.ts";
export { buildJobGraph } from "../graph/job-graph.ts";
export { createJobLoader } from "../cluster/job-loader.ts";
export { MiniCluster } from "../cluster/mini-cluster.ts";
export { silentLogger } from "../observability/logger.ts";
export { operatorTestContext, type OperatorTestContext, type OperatorTestOptions, type EmittedElement } from "./operator-context.ts";
