// The control-plane actors: xstate machines for the worker, subtask, job master, dispatcher and resource manager.
export { workerMachine, type WorkerInput, type WorkerEvent } from "./worker.ts";
export { subtaskMachine, type SubtaskInput, type SubtaskEvent, type JobLoader } from "./subtask.ts";
export { jobMasterMachine, type JobMasterInput, type JobMasterEvent } from "./job-master.ts";
export { dispatcherMachine, type DispatcherInput, type DispatcherEvent } from "./dispatcher.ts";
export { resourceManagerMachine, type ResourceManagerInput, type ResourceManagerEvent } from "./resource-manager.ts";
export { listen, send, taskKey, type ActorDeps } from "./actor-deps.ts";
