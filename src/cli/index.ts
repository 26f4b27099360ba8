// The `weir` command line; bin/weir.mjs loads main.ts.
export { runCommand, type RunOptions } from "./run.ts";
export { jobManagerCommand, workerCommand } from "./cluster-commands.ts";
export { cancelCommand, infoCommand, listCommand, savepointCommand, stopCommand } from "./query-commands.ts";
export { nexmarkGenerateCommand, type GenerateOptions } from "./nexmark-command.ts";
export { traceReplayCommand, traceShowCommand, type TraceShowOptions } from "./trace-commands.ts";
