// Finds the TypeScript examples in README.md and docs/*.md and type-checks them against weir's
// sources, so an example that no longer matches the API fails the suite. A block fenced as
// ```ts is a whole module; ```ts fragment marks an excerpt (a shape, a line out of context) that is not compiled.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface DocExample {
  /** `docs/state.md:54`: the file and the line of the opening fence. */
  readonly where: string;
  readonly code: string;
}

const FENCE = /^```(\S*)(.*)$/;

/** The compiled examples (fences `ts` / `typescript` without `fragment`) of one Markdown text. */
export function examplesIn(file: string, markdown: string): { examples: DocExample[]; fragments: number } {
  const lines = markdown.split("\n");
  const examples: DocExample[] = [];
  let fragments = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith("```"));
    if (end < 0) throw new Error(`${file}:${i + 1}: a code fence that never closes`);
    const language = open[1];
    if (language === "ts" || language === "typescript") {
      if (/\bfragment\b/.test(open[2])) fragments++;
      else examples.push({ where: `${file}:${i + 1}`, code: lines.slice(i + 1, end).join("\n") });
    }
    i = end;
  }
  return { examples, fragments };
}

/** Every Markdown file whose examples must compile: the README and everything in docs/. */
export function documentedFiles(root: string): string[] {
  const docs = readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).sort();
  return ["README.md", ...docs.map((f) => join("docs", f))];
}

export function readExamples(root: string): { examples: DocExample[]; fragments: number } {
  const all: DocExample[] = [];
  let fragments = 0;
  for (const file of documentedFiles(root)) {
    const found = examplesIn(file, readFileSync(join(root, file), "utf8"));
    all.push(...found.examples);
    fragments += found.fragments;
  }
  return { examples: all, fragments };
}
