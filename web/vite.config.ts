// Builds the dashboard (web/src, Preact) into web/dist, which the job manager's REST server serves.
// Everything is bundled: the page loads nothing from elsewhere.

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  logLevel: "warn",
});
