// Bundling a job module into its artifact: local modules go in, weir and packages stay imports,
// the digest follows the code, and a module that does not bundle is named with its error.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleJobModule, JobBundleError } from "../../src/cluster/job-bundle.ts";
import { contentDigest } from "../../src/checkpoint/content-digest.ts";

const dir = mkdtempSync(join(tmpdir(), "weir-bundle-"));
const WEIR = resolve("src/index.ts");

function job(name: string, square: string): string {
  const path = join(dir, name);
  writeFileSync(join(dir, `${name}.helper.ts`), `export const square = (n: number): number => ${square};\n`);
  writeFileSync(
    path,
    [
      `import { parseArgs } from "node:util";`,
      `import pg from "pg";`,
      `import { defineJob } from "weir";`,
      `import { WatermarkStrategy } from ${JSON.stringify(WEIR)};`,
      `import { square } from "./${name}.helper.ts";`,
      `export default defineJob((env, args) => { parseArgs({ args }); void pg; void WatermarkStrategy; env.fromSequence(1, 3).map(square).print(); });`,
    ].join("\n"),
  );
  return path;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bundleJobModule", () => {
  it("inlines the module's local imports and leaves weir (by name or by path), packages and built-ins as imports", async () => {
    const bundle = await bundleJobModule(job("squares.ts", "n * n"));
    const text = new TextDecoder().decode(bundle.bytes);
    expect(bundle.module).toBe("squares.ts");
    expect(bundle.digest).toBe(contentDigest(bundle.bytes));
    expect(text).toContain("n * n");
    expect([...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]).sort()).toEqual(["node:util", "pg", "weir:index", "weir:index"]);
    expect(text).not.toContain(WEIR);
  });

  it("gives the same code the same digest, and changed code (same graph) a new one", async () => {
    const [a, b] = [await bundleJobModule(job("same.ts", "n * n")), await bundleJobModule(job("same.ts", "n * n"))];
    const changed = await bundleJobModule(job("same.ts", "n ** 2"));
    expect(a.digest).toBe(b.digest);
    expect(changed.digest).not.toBe(a.digest);
  });

  it("fails naming the file, the line and esbuild's error when the module does not parse", async () => {
    const path = join(dir, "broken.ts");
    writeFileSync(path, `import { defineJob } from "weir";\nexport default defineJob((env) => {\n  env.fromSequence(1, 3).map((n) => n +);\n});\n`);
    const error = await bundleJobModule(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobBundleError);
    expect((error as Error).message).toBe(`cannot bundle job module ${path}: ${path}:3:40: Unexpected ")"`);
  });

  it("fails naming a local import that does not exist", async () => {
    const path = join(dir, "missing-import.ts");
    writeFileSync(path, `import { nothing } from "./nowhere.ts";\nexport default nothing;\n`);
    await expect(bundleJobModule(path)).rejects.toThrow(`cannot bundle job module ${path}: ${path}:1:25: Could not resolve "./nowhere.ts"`);
  });
});
