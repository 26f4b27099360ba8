// The config file: weir.config.json (or .yaml/.yml) in the working directory, or --config <file>, gives defaults
// for the commands' flags. A flag given on the command line wins, then $WEIR_NATS_URL,
// $WEIR_LOG_LEVEL and the $WEIR_NATS_* login variables, then the file, then weir's defaults. The file is checked whole before any
// command runs: an unknown key or a value of the wrong type stops it, naming the key.

import { existsSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { Command } from "commander";
import { LOG_FORMATS } from "../observability/logger.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const oneOf = (values: readonly string[], description: string) => Type.Union(values.map((v) => Type.Literal(v)), { description });

/** Every key the file may hold, each with what it allows (shown when a value is wrong). */
const ConfigSchema = Type.Object(
  {
    nats: Type.String({ minLength: 1, description: "a NATS server URL, e.g. nats://127.0.0.1:4222" }),
    logLevel: oneOf(LOG_LEVELS, `one of ${LOG_LEVELS.join(", ")}`),
    logFormat: oneOf(LOG_FORMATS, `one of ${LOG_FORMATS.join(", ")}`),
    parallelism: Type.Integer({ minimum: 1, description: "an integer >= 1" }),
    progressInterval: Type.Integer({ minimum: 0, description: "an integer >= 0 (seconds)" }),
    slots: Type.Integer({ minimum: 1, description: "an integer >= 1" }),
    metricsPort: Type.Integer({ minimum: 0, maximum: 65535, description: "a port number, 0 to 65535" }),
    metricsHost: Type.String({ minLength: 1, description: "a host name or address" }),
    heartbeatTimeout: Type.Integer({ minimum: 1, description: "an integer >= 1 (ms)" }),
    slotTimeout: Type.Integer({ minimum: 1, description: "an integer >= 1 (ms)" }),
    probeInterval: Type.Integer({ minimum: 0, description: "an integer >= 0 (ms)" }),
    restPort: Type.Integer({ minimum: 0, maximum: 65535, description: "a port number, 0 to 65535" }),
    restHost: Type.String({ minLength: 1, description: "a host name or address" }),
    savepointDir: Type.String({ minLength: 1, description: "a directory" }),
    ha: Type.Boolean({ description: "true or false" }),
    leaseTtl: Type.Integer({ minimum: 1, description: "an integer >= 1 (ms)" }),
    reactive: Type.Boolean({ description: "true or false" }),
    creds: Type.String({ minLength: 1, description: "the path of a NATS credentials file" }),
    user: Type.String({ minLength: 1, description: "a NATS user name" }),
    password: Type.String({ minLength: 1, description: "the NATS user's password" }),
    token: Type.String({ minLength: 1, description: "a NATS authentication token" }),
    tlsCa: Type.String({ minLength: 1, description: "the path of a PEM file of CA certificates" }),
    tlsCert: Type.String({ minLength: 1, description: "the path of a PEM client certificate" }),
    tlsKey: Type.String({ minLength: 1, description: "the path of a PEM private key" }),
  },
  { additionalProperties: false },
);

export type WeirConfig = Partial<Static<typeof ConfigSchema>>;

export const CONFIG_FILE = "weir.config.json";

/** The names looked for in the working directory, in this order; at most one may be there. */
const CONFIG_FILES = [CONFIG_FILE, "weir.config.yaml", "weir.config.yml"];

/** Keys whose environment variable, when set, wins over the file. */
const ENVIRONMENT: Partial<Record<keyof WeirConfig, string>> = { nats: "WEIR_NATS_URL", logLevel: "WEIR_LOG_LEVEL" };

/** Checks a parsed config; throws naming the first wrong key and what it allows. */
export function checkConfig(value: unknown, source: string): WeirConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${source}: expected an object of settings`);
  const properties: Record<string, TSchema> = ConfigSchema.properties;
  const allowed = Object.keys(properties);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Error(`${source}: unknown key "${key}"; the keys are ${allowed.join(", ")}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (!Value.Check(properties[key], v)) throw new Error(`${source}: "${key}" must be ${properties[key].description}, not ${JSON.stringify(v)}`);
  }
  return value as WeirConfig;
}

/** Reads the config: `file` if given (it must exist), else weir.config.json (.yaml, .yml) in `cwd` if there is one. */
export function loadConfig(file: string | undefined, cwd: string): WeirConfig {
  if (file !== undefined && !existsSync(file)) throw new Error(`config file ${file} not found`);
  const found = file === undefined ? CONFIG_FILES.map((name) => join(cwd, name)).filter((path) => existsSync(path)) : [file];
  if (found.length > 1) throw new Error(`${found.join(" and ")}: keep one config file`);
  if (found.length === 0) return {};
  const path = found[0];
  const yaml = [".yaml", ".yml"].includes(extname(path));
  let parsed: unknown;
  try {
    parsed = yaml ? parseYaml(readFileSync(path, "utf8")) : JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: not ${yaml ? "YAML" : "JSON"} (${(error as Error).message.split("\n")[0]})`);
  }
  return checkConfig(parsed, path);
}

/** Gives `command` the file's values for its options that the command line left unset. */
export function applyConfig(command: Command, config: WeirConfig): void {
  const names = new Set(command.options.map((o) => o.attributeName()));
  for (const [key, value] of Object.entries(config)) {
    if (!names.has(key)) continue;
    const source = command.getOptionValueSource(key);
    if (source === "cli" || source === "env") continue;
    const variable = ENVIRONMENT[key as keyof WeirConfig];
    if (variable !== undefined && process.env[variable] !== undefined) continue;
    command.setOptionValueWithSource(key, value, "config");
  }
}
