#!/usr/bin/env node
// weir's command line. Job modules are TypeScript, so a TypeScript loader is registered first.
// In weir's repository the command runs from the sources (src/ sits beside bin/), so a stale build
// never shadows an edit; the published package has no src/ and runs its compiled dist/.
import { existsSync } from "node:fs";
import { register } from "tsx/esm/api";

register();
const sources = new URL("../src/cli/main.ts", import.meta.url);
await import(existsSync(sources) ? sources.href : new URL("../dist/cli/main.js", import.meta.url).href);
