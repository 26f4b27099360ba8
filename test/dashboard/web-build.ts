// Builds the dashboard into web/dist (vite's JS API) when it is missing or older than its sources,
// so the browser tests see the current code without a separate build step.

import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WEB = join(ROOT, "web");

function newestIn(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestIn(join(path, name))));
}

export async function ensureWebBuilt(): Promise<string> {
  const index = join(WEB, "dist", "index.html");
  const sources = [join(WEB, "src"), join(WEB, "index.html"), join(WEB, "vite.config.ts"), join(ROOT, "src", "observability", "views.ts")];
  const newestSource = Math.max(...sources.map(newestIn));
  if (!existsSync(index) || statSync(index).mtimeMs < newestSource) await build({ configFile: join(WEB, "vite.config.ts") });
  return join(WEB, "dist");
}
