// Every TypeScript example in the README and docs/ type-checks against the current sources.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { examplesIn, readExamples } from "./doc-examples.ts";

const root = resolve(import.meta.dirname, "../..");

describe("doc examples", () => {
  // In the repository root, so an example's relative imports of examples/ resolve as in a script beside it.
  const dir = mkdtempSync(join(root, ".doc-examples-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds whole examples and skips fragments", () => {
    const md = "text\n```ts\nconst a = 1;\n```\n```ts fragment\nfoo(\n```\n```sh\nls\n```\n";
    const found = examplesIn("x.md", md);
    expect(found.examples).toEqual([{ where: "x.md:2", code: "const a = 1;" }]);
    expect(found.fragments).toBe(1);
  });

  it("every ```ts block in README.md and docs/ compiles against weir's sources", () => {
    const { examples } = readExamples(root);
    expect(examples.length).toBeGreaterThan(20);
    const files = examples.map((example, i) => {
      const file = join(dir, `example-${i}.ts`);
      // Each example is a module of its own (`export {}`), so top-level names do not collide.
      writeFileSync(file, `${example.code}\nexport {};\n`);
      return { file, where: example.where };
    });
    const program = ts.createProgram(
      [join(import.meta.dirname, "doc-context.d.ts"), ...files.map((f) => f.file)],
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        types: ["node"],
        typeRoots: [join(root, "node_modules", "@types")],
        baseUrl: root,
        paths: { weir: ["src/index.ts"], "weir/testing": ["src/testing/index.ts"] },
      },
    );
    const where = new Map(files.map((f) => [f.file, f.where]));
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && where.has(d.file.fileName))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        const [file, fence] = where.get(d.file!.fileName)!.split(":");
        return `${file}:${Number(fence) + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(problems).toEqual([]);
  }, 120_000);
});
