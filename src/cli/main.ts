// The `weir` command: run a job (embedded or on a NATS cluster), start a job manager or a worker.

import { Command, InvalidArgumentError } from "commander";
import { runCommand } from "./run.ts";
import { defaultArtifactCache, jobManagerCommand, workerCommand } from "./cluster-commands.ts";
import { cancelCommand, infoCommand, listCommand, rescaleCommand, savepointCommand, stopCommand } from "./query-commands.ts";
import { WEIR_VERSION } from "../core/version.ts";
import { LOG_FORMATS, type LogFormat } from "../observability/logger.ts";
import { nexmarkGenerateCommand } from "./nexmark-command.ts";
import { applyConfig, CONFIG_FILE, loadConfig, LOG_LEVELS } from "./config-file.ts";
import { traceReplayCommand, traceShowCommand } from "./trace-commands.ts";
import { addNatsLoginOptions, EXIT_NATS_REFUSED, explainRefusal, loginFlagGiven, natsLoginOf } from "./nats-login-options.ts";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer >= 0, got ${JSON.stringify(value)}`);
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535 (0: any free port), got ${JSON.stringify(value)}`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function logLevel(value: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`use one of ${LOG_LEVELS.join(", ")}`);
  return value;
}

const LOG_FORMAT_HELP = "pretty (readable lines) or json; default: pretty on a terminal, else json";

function logFormat(value: string): LogFormat {
  const format = LOG_FORMATS.find((f) => f === value);
  if (!format) throw new InvalidArgumentError(`use one of ${LOG_FORMATS.join(", ")}`);
  return format;
}

function timeFormat(value: string): "offset" | "iso" {
  if (value !== "offset" && value !== "iso") throw new InvalidArgumentError("use offset or iso");
  return value;
}

/** Where the cluster's NATS server is, unless --nats says: $WEIR_NATS_URL, else the local default. */
const DEFAULT_NATS = process.env.WEIR_NATS_URL ?? "nats://127.0.0.1:4222";
const NATS_HELP = "the NATS server, or a cluster's servers comma-separated ($WEIR_NATS_URL if set)";

const program = new Command("weir")
  .description("a stateful stream processor: actors on NATS, msgpack frames")
  .version(WEIR_VERSION, "-V, --version", "print weir's version")
  .showHelpAfterError("(weir --help, or weir <command> --help, shows the usage)")
  .option("--config <file>", `defaults for the commands' options, JSON or YAML (default: ./${CONFIG_FILE}, .yaml or .yml if present)`)
  // The config file fills in what the command line left unset, before any command runs.
  .hook("preAction", (root, command) => applyConfig(command, loadConfig(root.opts<{ config?: string }>().config, process.cwd())))
  .addHelpText("after", "\nExit codes: 0 success, 1 failure (the job failed, or the command could not be carried out), 2 unknown job, 3 a job manager or worker can no longer serve, 4 the NATS server refused the login or a permission, 130 interrupted (Ctrl-C).");

program
  .command("run")
  .description("run a job module: embedded by default, or on a cluster with --nats")
  .argument("<job>", "the job module (its default export builds the dataflow)")
  .argument("[args...]", "arguments for the job, after --")
  .option("-p, --parallelism <n>", "default parallelism of the job's operators", positiveInt)
  .option("--nats <url>", "submit to the job manager on this NATS server instead of running embedded")
  .option("--trace <file>", "record every message on the bus to this file (NDJSON)")
  .option("--detached", "with --nats: print the job's id once it is accepted and exit, leaving it to the cluster")
  .option("--progress-interval <s>", "with --nats: seconds between status lines when stderr is not a terminal (on one, a line rewritten every second); 0: none", nonNegativeInt, 10)
  .option("-s, --from-savepoint <path>", "start from this savepoint (or retained checkpoint) directory")
  .option("--allow-non-restored-state", "with --from-savepoint: drop state that belongs to no operator of the job instead of failing")
  .option("--log-level <level>", "pino log level ($WEIR_LOG_LEVEL if set)", logLevel, process.env.WEIR_LOG_LEVEL ?? "warn")
  .option("--log-format <format>", LOG_FORMAT_HELP, logFormat)
  .action((job: string, args: string[], options, command: Command) => {
    if (!options.nats && loginFlagGiven(command)) throw new Error("the NATS login options go with --nats <url>: an embedded job connects to nothing");
    return runCommand(job, args, { ...options, login: options.nats ? natsLoginOf(command) : undefined });
  });

program
  .command("jobmanager")
  .description("run a job manager (dispatcher, resource manager, job masters) on a NATS server")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .option("--heartbeat-timeout <ms>", "declare a worker lost after this long without a heartbeat", positiveInt, 10_000)
  .option("--probe-interval <ms>", "ping every worker this often; one whose connection is gone (nobody answers, twice) is lost at once (0: heartbeats only)", nonNegativeInt, 250)
  .option("--slot-timeout <ms>", "fail a job that cannot get enough slots within this long", positiveInt, 30_000)
  .option("--artifact-grace <ms>", "remove a job artifact from the bucket weir-artifacts this long after the last job running it has ended", nonNegativeInt, 60_000)
  .option("--artifact-cache <dir>", "where the job manager keeps the job artifacts it fetched to create split enumerators, by digest ($WEIR_ARTIFACT_CACHE if set)", process.env.WEIR_ARTIFACT_CACHE ?? defaultArtifactCache())
  .option("--rest-port <n>", "port of the REST API and the dashboard (0: any free port)", port, 8081)
  .option("--rest-host <host>", "address the REST API and the dashboard listen on", "127.0.0.1")
  .option("--rest-token <token>", "what savepoint, stop and cancel requests must send as `Authorization: Bearer <token>` ($WEIR_REST_TOKEN if set, else a random one)")
  .option("--savepoint-dir <dir>", "where savepoints asked for over REST go when a request names no directory")
  .option("--reactive", "reactive mode: every job runs at the parallelism of the slots there are, up to its max parallelism; it grows when workers join and shrinks (restarting from its latest checkpoint) when one is lost")
  .option("--ha", "run as one of several job managers: one leads by a lease in the JetStream KV bucket weir-leader, the others stand by and take over its jobs (from their latest checkpoints) when it dies")
  .option("--lease-ttl <ms>", "with --ha: how long the leader's lease lives unrenewed, so how soon a standby takes over from a dead leader (renewed every third of it)", positiveInt, 3000)
  .option("--log-level <level>", "pino log level ($WEIR_LOG_LEVEL if set)", logLevel, process.env.WEIR_LOG_LEVEL ?? "info")
  .option("--log-format <format>", LOG_FORMAT_HELP, logFormat)
  .action((options, command: Command) => jobManagerCommand({ ...options, login: natsLoginOf(command) }));

program
  .command("worker")
  .description("run a worker (TaskManager) offering slots on a NATS server")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .option("--slots <n>", "number of slots to offer", positiveInt, 1)
  .option("--id <id>", "worker id (default: random)")
  .option("--artifact-cache <dir>", "where the worker keeps the job artifacts it fetched, by digest ($WEIR_ARTIFACT_CACHE if set)", process.env.WEIR_ARTIFACT_CACHE ?? defaultArtifactCache())
  .option("--metrics-port <n>", "serve Prometheus metrics on http://<metrics-host>:<n>/metrics (0: any free port)", nonNegativeInt)
  .option("--metrics-host <host>", "the address the metrics endpoint listens on", "127.0.0.1")
  .option("--log-level <level>", "pino log level ($WEIR_LOG_LEVEL if set)", logLevel, process.env.WEIR_LOG_LEVEL ?? "info")
  .option("--log-format <format>", LOG_FORMAT_HELP, logFormat)
  .action((options, command: Command) => workerCommand({ ...options, login: natsLoginOf(command) }));

program
  .command("list")
  .description("list the cluster's jobs, running and recently ended")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .option("--json", "print JSON")
  .action((options, command: Command) => listCommand({ ...options, login: natsLoginOf(command) }));

program
  .command("info")
  .description("show a job: status, vertices with their figures, last checkpoints, exceptions")
  .argument("<jobId>")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .option("--json", "print JSON")
  .action((jobId: string, options, command: Command) => infoCommand(jobId, { ...options, login: natsLoginOf(command) }));

program
  .command("cancel")
  .description("cancel a running job")
  .argument("<jobId>")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .action((jobId: string, options, command: Command) => cancelCommand(jobId, { ...options, login: natsLoginOf(command) }));

program
  .command("savepoint")
  .description("take a savepoint of a running job into a new folder under <dir>; prints its location")
  .argument("<jobId>")
  .argument("<dir>", "an absolute directory every worker and the job manager can reach")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .action((jobId: string, dir: string, options, command: Command) => savepointCommand(jobId, dir, { ...options, login: natsLoginOf(command) }));

program
  .command("stop")
  .description("stop a running job with a savepoint; prints its location")
  .argument("<jobId>")
  .requiredOption("--savepoint <dir>", "an absolute directory every worker and the job manager can reach")
  .option("--drain", "end event time first (a final watermark fires every timer and window) before stopping")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .action((jobId: string, options, command: Command) => stopCommand(jobId, { ...options, login: natsLoginOf(command) }));

program
  .command("rescale")
  .description("run a running job at another parallelism: it stops with a savepoint and goes on from it (same job, a new attempt); waits until it runs again")
  .argument("<jobId>")
  .requiredOption("-p, --parallelism <n>", "the new default parallelism of the job's operators (those with one of their own, and non-parallel sources, keep theirs)", positiveInt)
  .option("--savepoint-dir <dir>", "an absolute directory every worker and the job manager can reach (default: under the job's checkpoint directory)")
  .option("--nats <url>", NATS_HELP, DEFAULT_NATS)
  .action((jobId: string, options, command: Command) => rescaleCommand(jobId, { ...options, login: natsLoginOf(command) }));

const nexmark = program.command("nexmark").description("the Nexmark benchmark's event generator");
nexmark
  .command("generate")
  .description("write the first N events of one Nexmark timeline to stdout as NDJSON")
  .requiredOption("--events <n>", "how many events", nonNegativeInt)
  .option("--seed <s>", "randomness seed: the same seed gives the same events", nonNegativeInt, 0)
  .option("--first-event-rate <r>", "events per second of event time (default 10000: 0.1 ms between events)", positiveNumber)
  .option("--base-time <ms>", "event time of the first event, epoch ms (default 2026-01-01T00:00:00Z)", nonNegativeInt)
  .action((options) => nexmarkGenerateCommand(options));

const trace = program.command("trace").description("read a trace recorded with `weir run --trace`");
trace
  .command("show")
  .description("print a trace decoded, one line per entry: time, actor, direction, subject, message")
  .argument("<file>", "the trace file (NDJSON)")
  .option("--actor <name>", "only entries of actors whose name starts with this")
  .option("--job <id>", "only entries of this job")
  .option("--subject <pattern>", "only entries whose subject matches this NATS pattern (* one token, > the rest)")
  .option("--type <types>", "only messages of these types (comma-separated; repeatable)", (v: string, prev: string[] = []) => [...prev, v])
  .option("--time <format>", "offset (ms since the first entry) or iso", timeFormat, "offset")
  .option("--json", "one JSON object per line, with the decoded message in full")
  .action((file: string, options) => traceShowCommand(file, options));
trace
  .command("replay")
  .description("feed one recorded actor its inbound messages again and compare what it publishes")
  .argument("<file>", "the trace file (NDJSON)")
  .requiredOption("--actor <name>", "job-master/<jobId>, dispatcher or resource-manager")
  .action((file: string, options) => traceReplayCommand(file, options));

// Every command that connects to NATS takes the login options.
const CONNECTING = ["run", "jobmanager", "worker", "list", "info", "cancel", "savepoint", "stop", "rescale"];
for (const command of program.commands.filter((c) => CONNECTING.includes(c.name()))) addNatsLoginOptions(command);

program.parseAsync(process.argv).catch((error: Error) => {
  const refusal = explainRefusal(error);
  process.stderr.write(`weir: ${refusal ?? error.message}\n`);
  process.exit(refusal === undefined ? 1 : EXIT_NATS_REFUSED);
});
