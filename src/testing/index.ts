// weir/testing: what a user needs to test jobs and actors — record and replay traces on a
// simulated clock, start a real nats-server, start weir processes.

export { replayActor, type ReplayOptions, type ReplayReport, type ReplayMismatch, type ReplayContext } from "./replay.ts";
export { TraceRecorder, readTrace, busFor, type TraceEntry } from "../bus/trace.ts";
export { SimulatedClock, systemClock, type Clock } from "../runtime/clock.ts";
export { startNatsServer, freePort, type NatsServerHandle } from "./nats-server.ts";
export { startWeirProcess, startJobManagerProcess, startWorkerProcess, runWeir, type WeirProcess } from "./processes.ts";
export { MetricRegistry } from "../observability/metrics.ts";
export { silentLogger } from "../observability/logger.ts";
