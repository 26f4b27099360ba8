#!/usr/bin/env node
// weir's command line. Job modules are TypeScript, so a TypeScript loader is registered first.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
