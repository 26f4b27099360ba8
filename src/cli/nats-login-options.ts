// The NATS login options every command that connects has: --creds, --user/--password, --token and
// TLS files, each also from a WEIR_NATS_* variable or the config file (the flag wins, then the
// variable, then the file, as for --nats). Receives the parsed command; gives a checked login.

import { Option, type Command } from "commander";
import { ANONYMOUS, FLAG_LABELS, natsLogin, type NatsLogin, type NatsLoginSettings, type SettingLabels } from "../bus/nats-login.ts";
import { NatsLoginRefusedError, NatsNotPermittedError } from "../bus/nats-bus.ts";

/** The exit code of a command whose NATS login or permission the server refused: retrying will not help. */
export const EXIT_NATS_REFUSED = 4;

const SETTINGS: readonly { key: keyof NatsLoginSettings; flag: string; variable: string; help: string }[] = [
  { key: "creds", flag: "--creds <file>", variable: "WEIR_NATS_CREDS", help: "log in to NATS with this credentials file (user JWT and NKey seed)" },
  { key: "user", flag: "--user <name>", variable: "WEIR_NATS_USER", help: "log in to NATS as this user (with --password)" },
  { key: "password", flag: "--password <password>", variable: "WEIR_NATS_PASSWORD", help: "the NATS user's password (prefer the variable: a flag shows in the process list)" },
  { key: "token", flag: "--token <token>", variable: "WEIR_NATS_TOKEN", help: "log in to NATS with this token" },
  { key: "tlsCa", flag: "--tls-ca <file>", variable: "WEIR_NATS_TLS_CA", help: "connect to NATS over TLS, trusting the CA in this PEM file" },
  { key: "tlsCert", flag: "--tls-cert <file>", variable: "WEIR_NATS_TLS_CERT", help: "present this client certificate (PEM, with --tls-key) to NATS" },
  { key: "tlsKey", flag: "--tls-key <file>", variable: "WEIR_NATS_TLS_KEY", help: "the client certificate's private key (PEM)" },
];

/** Adds the login options to `command`; each reads its WEIR_NATS_* variable when the flag is absent. */
export function addNatsLoginOptions(command: Command): Command {
  for (const setting of SETTINGS) command.addOption(new Option(setting.flag, setting.help).env(setting.variable));
  return command;
}

/** True when any login option was typed on the command line (not from a variable or the file). */
export function loginFlagGiven(command: Command): boolean {
  return SETTINGS.some((s) => command.getOptionValueSource(s.key) === "cli");
}

/** The command's login, checked; throws the first problem, naming the flag, variable or config key to change. */
export function natsLoginOf(command: Command): NatsLogin {
  const values = command.opts<NatsLoginSettings>();
  const settings: NatsLoginSettings = {};
  const labels: SettingLabels = { ...FLAG_LABELS };
  for (const { key, variable } of SETTINGS) {
    const value = values[key];
    if (value === undefined) continue;
    settings[key] = value;
    const source = command.getOptionValueSource(key);
    if (source === "env") labels[key] = `$${variable}`;
    else if (source === "config") labels[key] = `"${key}" in the config file`;
  }
  const outcome = natsLogin(settings, labels);
  if (outcome.kind === "problem") throw new Error(outcome.problem);
  return outcome.login;
}

/** One line for a refusal by the NATS server, saying what to change; undefined for other errors. */
export function explainRefusal(error: unknown): string | undefined {
  if (error instanceof NatsLoginRefusedError) {
    const change =
      error.login.describe === ANONYMOUS.describe
        ? "it asks for credentials: give --user and --password, --token or --creds (or $WEIR_NATS_USER and $WEIR_NATS_PASSWORD, …)"
        : "check them against the server's configuration";
    return `${error.message}; ${change} (docs/security.md)`;
  }
  if (error instanceof NatsNotPermittedError) return `${error.message}; log in as a NATS user allowed to do this (docs/security.md lists each user's permissions)`;
  return undefined;
}
