// Bundles a job module and its local imports into one ES module with esbuild: the artifact a
// cluster's workers run. Receives the module's path; returns the bundle's bytes and SHA-256.
// Packages stay imports: weir itself (see weir-modules.ts), Node's built-ins, and node_modules
// packages, which each worker resolves in its own installation.

import { isBuiltin } from "node:module";
import { basename, dirname, resolve } from "node:path";
import { build, type Message, type Plugin } from "esbuild";
import { contentDigest } from "../checkpoint/content-digest.ts";
import { weirImportOf } from "./weir-modules.ts";

/** A bundled job module, named by the digest of its bytes. */
export interface JobBundle {
  /** "sha256:<hex>" of `bytes`. */
  digest: string;
  bytes: Uint8Array;
  /** The job module's file name, for messages. */
  module: string;
}

/** What a job bundle failed on: the module and esbuild's first errors, each with its file, line and column. */
export class JobBundleError extends Error {
  constructor(path: string, errors: readonly Message[]) {
    super(`cannot bundle job module ${path}: ${errors.slice(0, 3).map((error) => describe(error, dirname(path))).join("; ")}`);
    this.name = "JobBundleError";
  }
}

/**
 * Bundles the job module at `path` (absolute). The same code gives the same bytes, so the same digest.
 * @example
 * const bundle = await bundleJobModule("/jobs/word-count.ts");
 * bundle.digest; // "sha256:3f1c…"
 */
export async function bundleJobModule(path: string): Promise<JobBundle> {
  const workingDir = dirname(path);
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      // The paths in the bundle's comments are relative to the module: moving the project keeps the digest.
      absWorkingDir: workingDir,
      logLevel: "silent",
      charset: "utf8",
      plugins: [packagesStayImports],
    });
    const bytes = result.outputFiles[0]!.contents;
    return { digest: contentDigest(bytes), bytes, module: basename(path) };
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (errors && errors.length > 0) throw new JobBundleError(path, errors);
    throw error;
  }
}

const packagesStayImports: Plugin = {
  name: "weir-packages-stay-imports",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const weir = weirImportOf(args.path, args.resolveDir);
      if (weir !== undefined) return { path: weir, external: true };
      // A bare name is a package: the worker's own installation provides it.
      if (!args.path.startsWith(".") && !args.path.startsWith("/")) return { path: args.path, external: true };
      return undefined;
    });
  },
};

function describe(error: Message, workingDir: string): string {
  const at = error.location;
  return at ? `${resolve(workingDir, at.file)}:${at.line}:${at.column + 1}: ${error.text}` : error.text;
}
