// The `weir` command line; bin/weir.mjs loads main.ts.
export { runCommand, type RunOptions } from "./run.ts";
export { jobManagerCommand, workerCommand, cancelCommand } from "./cluster-commands.ts";
export { nexmarkGenerateCommand, type GenerateOptions } from "./nexmark-command.ts";
