// `weir nexmark generate`: writes the first N events of one Nexmark timeline to stdout as NDJSON,
// the input format of the Nexmark query jobs' `--events-file`.

import { nexmarkConfig, writeEventsNdjson } from "../nexmark/index.ts";

export interface GenerateOptions {
  events: number;
  seed: number;
  firstEventRate?: number;
  baseTime?: number;
}

export async function nexmarkGenerateCommand(options: GenerateOptions): Promise<void> {
  const config = nexmarkConfig({
    seed: options.seed,
    ...(options.firstEventRate === undefined ? {} : { firstEventRate: options.firstEventRate }),
    ...(options.baseTime === undefined ? {} : { baseTime: options.baseTime }),
  });
  await writeEventsNdjson(config, options.events, process.stdout);
}
