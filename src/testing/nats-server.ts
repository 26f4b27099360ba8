// Starts a real nats-server (from PATH) on free ports for a test suite, with JetStream in a
// temporary directory and the monitoring endpoint on, and stops it afterwards. A configuration
// file (e.g. deploy/nats-server.conf, with users and permissions) and its environment are optional.
// startNatsCluster starts several such servers routed into one cluster, with clustered JetStream.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface NatsServerHandle {
  url: string;
  port: number;
  monitorUrl: string;
  /** The server's /varz counters (slow_consumers, in_msgs, …). */
  varz(): Promise<Record<string, unknown>>;
  /** What the server wrote to stderr (its log), across restarts: the last megabyte. */
  logs(): string;
  /** Stops the server and starts it again on the same ports with the same store. */
  restart(): Promise<void>;
  /** Kills the server with SIGKILL (a crash: no goodbye to its clients or routes); restart() brings it back. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsClusterHandle {
  nodes: NatsServerHandle[];
  /** Every node's URL, comma-separated: what `--nats` takes to know them all. */
  urls: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface NatsServerOptions {
  /** Default true. */
  jetstream?: boolean;
  /** A configuration file (`-c`); the address, ports and store given here win over its own. */
  config?: string;
  /** Variables the configuration refers to (`$NAME`, e.g. passwords), added to this process's. */
  env?: Record<string, string>;
  /** More command-line arguments. */
  args?: string[];
  /** The address to listen on (default 127.0.0.1; "0.0.0.0" for clients in other network namespaces). `url` still names 127.0.0.1. */
  host?: string;
}

/** Spawns `nats-server`; throws with install advice if it is not on PATH. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const port = await freePort();
  const monitorPort = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "weir-nats-"));
  const args = [
    ...(options.config === undefined ? [] : ["-c", options.config]),
    ...["-a", options.host ?? "127.0.0.1", "-p", String(port), "-m", String(monitorPort)],
    ...(options.jetstream === false ? [] : ["-js", "-sd", storeDir]),
    ...(options.args ?? []),
  ];
  const env = { ...process.env, ...options.env };
  const log = { text: "" };
  let child = await spawnServer(args, env, port, monitorPort, log);
  const stopChild = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  };
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl,
    varz: async () => (await (await fetch(`${monitorUrl}/varz`)).json()) as Record<string, unknown>,
    logs: () => log.text,
    restart: async () => {
      await stopChild();
      log.text += `--- restarted at ${new Date().toISOString()}\n`;
      child = await spawnServer(args, env, port, monitorPort, log);
    },
    kill: () => stopChild("SIGKILL"),
    stop: async () => {
      await stopChild();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `size` servers routed into one cluster (`weir-test`), each with JetStream in its own
 * store, and resolves once every node reports itself healthy (JetStream included). Clients that
 * connect to one node learn the others from it and move to them when it goes away.
 */
export async function startNatsCluster(size = 3, options: Pick<NatsServerOptions, "host"> = {}): Promise<NatsClusterHandle> {
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`).join(",");
  const nodes = await Promise.all(
    routePorts.map((routePort, i) =>
      startNatsServer({ host: options.host, args: ["--server_name", `n${i + 1}`, "--cluster_name", "weir-test", "--cluster", `nats://127.0.0.1:${routePort}`, "--routes", routes] }),
    ),
  );
  for (let i = 0; i < 400 && !(await Promise.all(nodes.map(healthy))).every(Boolean); i++) await new Promise((r) => setTimeout(r, 50));
  return { nodes, urls: nodes.map((node) => node.url).join(","), stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))) };
}

async function healthy(node: NatsServerHandle): Promise<boolean> {
  try {
    return (await fetch(`${node.monitorUrl}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** The most of a server's log kept (characters). */
const LOG_KEPT = 1 << 20;

async function spawnServer(args: string[], env: NodeJS.ProcessEnv, port: number, monitorPort: number, log: { text: string }): Promise<ChildProcess> {
  const child: ChildProcess = spawn("nats-server", args, { stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    log.text = (log.text + chunk.toString()).slice(-LOG_KEPT);
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === "ENOENT" ? "nats-server is not on PATH: install it (Debian: apt-get install nats-server)" : error.message)),
    ),
  );
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${stderr}`);
      if ((await canConnect(port)) && (await canConnect(monitorPort))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not start on port ${port}: ${stderr}`);
  })();
  await Promise.race([ready, spawnError]);
  return child;
}
