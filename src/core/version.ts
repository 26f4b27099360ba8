// weir's version, from its package.json (found from here both in the sources and in the build).

import { createRequire } from "node:module";

export const WEIR_VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
