// The control-plane actors: xstate machines for the worker, subtask, job master, dispatcher and resource manager.
export { workerMachine } from "./worker.ts";
export { subtaskMachine } from "./subtask.ts";
export { jobMasterMachine } from "./job-master.ts";
export { dispatcherMachine } from "./dispatcher.ts";
export { resourceManagerMachine } from "./resource-manager.ts";
