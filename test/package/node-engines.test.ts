// weir promises Node 20 (`engines` in package.json). Every package the lock file installs for a
// user must accept the oldest Node that promise covers, or `npm install --engine-strict` refuses
// weir on Node 20 and a plain install only warns. Development tools may ask for a later Node 20.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const manifest = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(resolve(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** The lock's packages whose declared Node range excludes `version`, as "name@version (range)". */
function refusing(version: string, include: (entry: { dev?: boolean }) => boolean): string[] {
  const refused: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = !path || Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (range === undefined || !include(entry) || semver.satisfies(version, range)) continue;
    refused.push(`${path.replace(/^.*node_modules\//, "")}@${entry.version} (${range})`);
  }
  return refused;
}

describe("the Node versions weir's dependencies accept", () => {
  const oldest = semver.minVersion(manifest.engines.node)?.version ?? "";

  it("weir's own range starts at Node 20", () => {
    expect(semver.major(oldest)).toBe(20);
  });

  it("every runtime dependency accepts the oldest Node weir claims to support", () => {
    expect(refusing(oldest, (entry) => !entry.dev)).toEqual([]);
  });

  it("every development dependency accepts the Node 20 the repository is developed on", () => {
    expect(refusing("20.19.0", () => true)).toEqual([]);
  });
});
