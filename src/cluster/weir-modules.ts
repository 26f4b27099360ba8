// How a job artifact names weir's own modules. A bundle never contains weir: an import of weir
// (by name, or by a path into weir's sources as this repository's examples do) becomes a
// `weir:<module>` import that each worker resolves to the weir it runs itself.

import { existsSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The prefix of the imports a bundle leaves to the worker's weir. */
export const WEIR_IMPORT_PREFIX = "weir:";

/** weir's package entry points, as a job imports them by name, and the module each one is. */
const ENTRY_POINTS: Readonly<Record<string, string>> = { weir: "index", "weir/testing": "testing/index" };

/** The folder of the weir this process runs: src/ when it runs from the sources, dist/ when built. */
const LIBRARY_DIR = fileURLToPath(new URL("../", import.meta.url));
/** .ts from the sources, .js when built. */
const MODULE_EXTENSION = extname(fileURLToPath(import.meta.url));
const PACKAGE_ROOT = dirname(LIBRARY_DIR);

/**
 * The `weir:` import that stands for `specifier`, imported from `fromDir`, when it names weir
 * itself; undefined for anything else (bundled or left to the worker's node_modules).
 * @example
 * weirImportOf("weir", "/jobs"); // "weir:index"
 * weirImportOf("../src/index.ts", "/repo/examples"); // "weir:index" (in weir's repository)
 */
export function weirImportOf(specifier: string, fromDir: string): string | undefined {
  const entry = ENTRY_POINTS[specifier];
  if (entry !== undefined) return `${WEIR_IMPORT_PREFIX}${entry}`;
  if (!specifier.startsWith(".") && !isAbsolute(specifier)) return undefined;
  const target = resolve(fromDir, specifier);
  for (const folder of ["src", "dist"]) {
    const rel = relative(join(PACKAGE_ROOT, folder), target);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) continue;
    return `${WEIR_IMPORT_PREFIX}${rel.split(sep).join("/").replace(/\.(ts|js|mts|mjs)$/, "")}`;
  }
  return undefined;
}

/** The file of this worker's weir that a `weir:<module>` import names; undefined if it has none. */
export function weirModuleFile(weirImport: string): string | undefined {
  const module = weirImport.slice(WEIR_IMPORT_PREFIX.length);
  if (module.split("/").includes("..")) return undefined;
  return [join(LIBRARY_DIR, `${module}${MODULE_EXTENSION}`), join(LIBRARY_DIR, module, `index${MODULE_EXTENSION}`)].find((file) => existsSync(file));
}
