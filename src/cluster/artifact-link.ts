// Links a job artifact to the worker that runs it: its imports of weir (`weir:<module>`) and of
// packages become file URLs of this worker's own installation, so the job's classes are the
// worker's. Receives the artifact's source; returns the module a worker imports.

import { isBuiltin } from "node:module";
import { pathToFileURL } from "node:url";
import { build, type Message, type Plugin } from "esbuild";
import { WEIR_IMPORT_PREFIX, weirModuleFile } from "./weir-modules.ts";

/**
 * The artifact `source` with its imports resolved on this worker; rejects naming each import the
 * worker cannot provide.
 */
export async function linkArtifact(source: string, name: string, holder = "this worker"): Promise<string> {
  try {
    const result = await build({
      stdin: { contents: source, loader: "js", sourcefile: name },
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
      charset: "utf8",
      plugins: [workerImports(holder)],
    });
    return result.outputFiles[0]!.text;
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (errors && errors.length > 0) throw new Error(`cannot link job artifact ${name} for ${holder}: ${errors.slice(0, 3).map((e) => e.text).join("; ")}`);
    throw error;
  }
}

/** Resolves a job artifact's imports against the weir installation of `holder`. */
function workerImports(holder: string): Plugin {
  return {
    name: "weir-worker-imports",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        if (args.path.startsWith(WEIR_IMPORT_PREFIX)) {
          const file = weirModuleFile(args.path);
          if (file === undefined) return { errors: [{ text: `it imports weir module ${args.path.slice(WEIR_IMPORT_PREFIX.length)}, which the weir of ${holder} does not have (a different weir version?)` }] };
          return { path: pathToFileURL(file).href, external: true };
        }
        if (args.path.startsWith(".") || args.path.startsWith("/")) return { errors: [{ text: `it imports ${args.path}: a job artifact holds all its local modules, so it cannot be one` }] };
        try {
          return { path: import.meta.resolve(args.path), external: true };
        } catch {
          return { errors: [{ text: `it imports the package ${args.path}, which is not installed beside the weir of ${holder}: install it where ${holder === "this worker" ? "the worker runs" : "it runs"}` }] };
        }
      });
    },
  };
}
