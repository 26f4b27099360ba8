// How a process logs in to NATS: one way of authenticating (a creds file, a user and password, or
// a token) and TLS files. Receives the settings as given (flags, config, environment) and turns
// them into nats.js connect options, or into the one thing to change; files are read here, once.

import { existsSync, readFileSync } from "node:fs";
import { credsAuthenticator, type ConnectionOptions } from "@nats-io/transport-node";

/** The settings, each a path or a secret as the user gave it. */
export interface NatsLoginSettings {
  /** A NATS credentials file (a user JWT and its NKey seed, as `nsc` writes them). */
  creds?: string;
  user?: string;
  password?: string;
  token?: string;
  /** PEM files: the CA that signed the server's certificate, and this client's certificate and key. */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** What nats.js needs for the login; opaque to everything but NatsBus. */
export interface NatsLogin {
  readonly options: Pick<ConnectionOptions, "user" | "pass" | "token" | "authenticator" | "tls">;
  /** Says how this login introduces itself, for a refusal's message: "as user x", "without credentials". */
  readonly describe: string;
}

/** The settings turned into a login, or the first problem with them, worded to be fixed. */
export type NatsLoginOutcome = { kind: "login"; login: NatsLogin } | { kind: "problem"; problem: string };

/** The name of each setting in messages: a flag by default; the CLI adds where a value came from. */
export type SettingLabels = Record<keyof NatsLoginSettings, string>;

export const FLAG_LABELS: SettingLabels = {
  creds: "--creds",
  user: "--user",
  password: "--password",
  token: "--token",
  tlsCa: "--tls-ca",
  tlsCert: "--tls-cert",
  tlsKey: "--tls-key",
};

/** No credentials and no TLS: how weir connects to a server that asks for neither. */
export const ANONYMOUS: NatsLogin = { options: {}, describe: "without credentials" };

const CREDS_BLOCKS = ["-----BEGIN NATS USER JWT-----", "-----BEGIN USER NKEY SEED-----"];

/** The files a login reads, injectable so that the checks are tested without a disk. */
export interface LoginFiles {
  exists(path: string): boolean;
  read(path: string): Uint8Array;
}

const DISK: LoginFiles = { exists: existsSync, read: (path) => readFileSync(path) };

/**
 * Checks the settings whole and builds the login. A missing file, a password without a user, or
 * two ways of authenticating at once are problems: said before anything connects.
 * @example
 * const outcome = natsLogin({ user: "weir-client", password: process.env.PW });
 * if (outcome.kind === "problem") throw new Error(outcome.problem);
 */
export function natsLogin(settings: NatsLoginSettings, labels: SettingLabels = FLAG_LABELS, files: LoginFiles = DISK): NatsLoginOutcome {
  const problem = (text: string): NatsLoginOutcome => ({ kind: "problem", problem: text });
  const given = (key: keyof NatsLoginSettings) => settings[key] !== undefined;
  for (const key of ["user", "password", "token", "creds", "tlsCa", "tlsCert", "tlsKey"] as const) {
    if (settings[key] === "") return problem(`${labels[key]} is empty: give a value, or leave it out`);
  }
  if (given("password") && !given("user")) return problem(`${labels.password} goes with ${labels.user}: name the user the password belongs to`);
  if (given("user") && !given("password")) return problem(`${labels.user} goes with ${labels.password}: give the user's password`);
  const ways = [given("creds") && labels.creds, given("user") && labels.user, given("token") && labels.token].filter((w): w is string => typeof w === "string");
  if (ways.length > 1) return problem(`${ways.join(" and ")} are different ways to log in to NATS: give one`);
  if (given("tlsCert") !== given("tlsKey")) {
    return given("tlsCert") ? problem(`${labels.tlsCert} goes with ${labels.tlsKey}: give the certificate's private key`) : problem(`${labels.tlsKey} goes with ${labels.tlsCert}: give the certificate of that key`);
  }
  for (const key of ["creds", "tlsCa", "tlsCert", "tlsKey"] as const) {
    const path = settings[key];
    if (path !== undefined && !files.exists(path)) return problem(`${labels[key]} ${path}: no such file`);
  }

  const options: NatsLogin["options"] = {};
  let describe = ANONYMOUS.describe;
  if (settings.creds !== undefined) {
    const bytes = files.read(settings.creds);
    const text = new TextDecoder().decode(bytes);
    if (!CREDS_BLOCKS.every((block) => text.includes(block))) {
      return problem(`${labels.creds} ${settings.creds}: not a NATS credentials file (it needs the user JWT and NKey seed blocks that \`nsc generate creds\` writes)`);
    }
    options.authenticator = credsAuthenticator(bytes);
    describe = `with the credentials in ${settings.creds}`;
  } else if (settings.user !== undefined) {
    options.user = settings.user;
    options.pass = settings.password;
    describe = `as user ${JSON.stringify(settings.user)}`;
  } else if (settings.token !== undefined) {
    options.token = settings.token;
    describe = "with a token";
  }
  if (settings.tlsCa !== undefined || settings.tlsCert !== undefined) {
    options.tls = {
      ...(settings.tlsCa === undefined ? {} : { caFile: settings.tlsCa }),
      ...(settings.tlsCert === undefined ? {} : { certFile: settings.tlsCert, keyFile: settings.tlsKey }),
    };
  }
  return { kind: "login", login: { options, describe } };
}
