// The NATS login settings: one way to authenticate, TLS files that exist, and each problem said
// with the name of the setting to change (a flag, a variable, a config key).

import { describe, expect, it } from "vitest";
import { FLAG_LABELS, natsLogin, type LoginFiles, type NatsLoginSettings } from "../../src/bus/nats-login.ts";

const CREDS = `-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln
------END NATS USER JWT------

-----BEGIN USER NKEY SEED-----
SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4
------END USER NKEY SEED------
`;

const disk: Record<string, string> = { "/etc/weir/client.creds": CREDS, "/etc/weir/ca.pem": "ca", "/etc/weir/client.pem": "cert", "/etc/weir/client-key.pem": "key", "/etc/weir/other.txt": "hello" };
const files: LoginFiles = { exists: (path) => path in disk, read: (path) => new TextEncoder().encode(disk[path]) };

function problem(settings: NatsLoginSettings, labels = FLAG_LABELS): string | undefined {
  const outcome = natsLogin(settings, labels, files);
  return outcome.kind === "problem" ? outcome.problem : undefined;
}

describe("a NATS login", () => {
  it("is anonymous without settings, and carries a user and password, a token or TLS files to nats.js", () => {
    expect(natsLogin({}, FLAG_LABELS, files)).toEqual({ kind: "login", login: { options: {}, describe: "without credentials" } });
    expect(natsLogin({ user: "weir-client", password: "pw" }, FLAG_LABELS, files)).toEqual({ kind: "login", login: { options: { user: "weir-client", pass: "pw" }, describe: 'as user "weir-client"' } });
    expect(natsLogin({ token: "t0k", tlsCa: "/etc/weir/ca.pem" }, FLAG_LABELS, files)).toEqual({ kind: "login", login: { options: { token: "t0k", tls: { caFile: "/etc/weir/ca.pem" } }, describe: "with a token" } });
    expect(natsLogin({ tlsCert: "/etc/weir/client.pem", tlsKey: "/etc/weir/client-key.pem" }, FLAG_LABELS, files)).toEqual({
      kind: "login",
      login: { options: { tls: { certFile: "/etc/weir/client.pem", keyFile: "/etc/weir/client-key.pem" } }, describe: "without credentials" },
    });
  });

  it("reads a creds file into an authenticator", () => {
    const outcome = natsLogin({ creds: "/etc/weir/client.creds" }, FLAG_LABELS, files);
    expect(outcome.kind).toBe("login");
    if (outcome.kind !== "login") return;
    expect(outcome.login.describe).toBe("with the credentials in /etc/weir/client.creds");
    expect(typeof outcome.login.options.authenticator).toBe("function");
  });

  it("says what to change: a half of a pair, two ways at once, an empty value, a missing or wrong file", () => {
    expect(problem({ password: "pw" })).toBe("--password goes with --user: name the user the password belongs to");
    expect(problem({ user: "weir-client" })).toBe("--user goes with --password: give the user's password");
    expect(problem({ user: "u", password: "p", token: "t" })).toBe("--user and --token are different ways to log in to NATS: give one");
    expect(problem({ creds: "/etc/weir/client.creds", token: "t" })).toBe("--creds and --token are different ways to log in to NATS: give one");
    expect(problem({ token: "" })).toBe("--token is empty: give a value, or leave it out");
    expect(problem({ tlsCert: "/etc/weir/client.pem" })).toBe("--tls-cert goes with --tls-key: give the certificate's private key");
    expect(problem({ tlsKey: "/etc/weir/client-key.pem" })).toBe("--tls-key goes with --tls-cert: give the certificate of that key");
    expect(problem({ creds: "/etc/weir/missing.creds" })).toBe("--creds /etc/weir/missing.creds: no such file");
    expect(problem({ tlsCa: "/etc/weir/missing.pem" })).toBe("--tls-ca /etc/weir/missing.pem: no such file");
    expect(problem({ creds: "/etc/weir/other.txt" })).toBe("--creds /etc/weir/other.txt: not a NATS credentials file (it needs the user JWT and NKey seed blocks that `nsc generate creds` writes)");
  });

  it("names a setting as the caller labels it, e.g. the variable it came from", () => {
    expect(problem({ password: "pw" }, { ...FLAG_LABELS, password: "$WEIR_NATS_PASSWORD" })).toBe("$WEIR_NATS_PASSWORD goes with --user: name the user the password belongs to");
  });
});
