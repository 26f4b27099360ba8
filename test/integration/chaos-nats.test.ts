// The short chaos run (`npm run chaos` is the long one): on a three-node NATS cluster with two job
// managers (--ha) and three workers, a checkpointed keyed count loses a worker, a NATS node, the
// leading job manager and a NATS node again, one after the other (SIGKILL each; a fresh worker or
// standby replaces each lost one, each node comes back), and still finishes with every running
// count exactly once: lost = 0 and duplicated = 0 against the input, and every kill was followed
// by a completed checkpoint. (The job manager's kill after a server's once failed the job: the
// takeover read a checkpoint its record named that had been discarded, see docs/reliability.md.)

import { describe, expect, it } from "vitest";
import { runChaos } from "../../bench/chaos/chaos-run.ts";

describe("a short chaos run", () => {
  it("survives the kills of a worker, two NATS nodes and the leading job manager with exactly-once output", async () => {
    const result = await runChaos({ kills: 4, kinds: ["worker", "nats-node", "job-manager", "nats-node"], jobManagers: 2, sequence: "cycle", seed: 7, rate: 1000, secondsPerKill: 6, progress: (line) => process.stderr.write(`chaos: ${line}\n`) });
    expect(result.kills).toEqual({ worker: 1, "nats-node": 2, "job-manager": 1, "network-cut": 0 });
    expect(result.recovered).toBe(4);
    expect(result.status).toBe("finished");
    expect(result.exitCode).toBe(0);
    expect({ lost: result.lost, duplicated: result.duplicated }).toEqual({ lost: 0, duplicated: 0 });
  }, 300_000);
});
