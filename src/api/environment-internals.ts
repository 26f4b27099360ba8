// What streams need from their environment, kept apart from the public class to avoid an import cycle.

import type { StreamGraph } from "../graph/stream-graph.ts";
import type { CollectedStream } from "./data-stream.ts";
import type { JobExecutionResult } from "./executor.ts";

export interface StreamEnvironmentInternals {
  readonly graph: StreamGraph;
  registerCollector(sinkId: string, collected: CollectedStream<unknown>): void;
  resolvePath(path: string): string;
  getAutoWatermarkInterval(): number;
  execute(jobName?: string): Promise<JobExecutionResult>;
}
