// Sliding window count, the classic check from Flink's docs: a source of about 10,000 events per
// second over a few keys, with event-time timestamps; every second, the number of events per key
// in the last 4 seconds (a sliding 4 s window every 1 s), printed. Unbounded unless --seconds is given.
//
//   npx weir run examples/sliding-window-count.ts -- --seconds 10
//   npx weir run examples/sliding-window-count.ts --nats nats://localhost:4222 --parallelism 2
//
// Options: --seconds N (stop after N seconds of events), --rate R (events/s, default 10000),
// --keys K (default 10), --checkpoints <dir or storage> (checkpoint every second there: a failure,
// or a takeover by another job manager, restores the windows' counts and the source's position,
// exactly once; the print sink may repeat lines printed after the latest checkpoint). Without it
// the job does not checkpoint, and a failure ends it.
//
//   npx weir run examples/sliding-window-count.ts --nats nats://localhost:4222 -- --checkpoints file:///var/lib/weir/checkpoints

import { parseArgs } from "node:util";
import {
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  WatermarkStrategy,
  defineJob,
  type AggregateFunction,
  type Collector,
  type ProcessWindowContext,
  type TimeWindow,
} from "../src/index.ts";

interface SensorEvent {
  sensor: string;
  /** Event time, ms: event i happens at i / rate seconds, so a run's windows do not depend on the wall clock. */
  time: number;
}

const count: AggregateFunction<SensorEvent, number, number> = {
  createAccumulator: () => 0,
  add: (_event, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

/** "[12 s, 16 s) sensor-3: 4012" */
class FormatCount extends ProcessWindowFunction<number, string, string, TimeWindow> {
  process(sensor: string, ctx: ProcessWindowContext<TimeWindow>, counts: readonly number[], out: Collector<string>): void {
    const { start, end } = ctx.window();
    out.collect(`[${start / 1000} s, ${end / 1000} s) ${sensor}: ${counts[0]}`);
  }
}

function positive(name: string, text: string | undefined, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`--${name} must be a positive number, got ${text}`);
  return value;
}

export default defineJob((env, args) => {
  const { values } = parseArgs({ args, options: { seconds: { type: "string" }, rate: { type: "string" }, keys: { type: "string" }, checkpoints: { type: "string" } } });
  const rate = positive("rate", values.rate, 10_000)!;
  const keys = Math.floor(positive("keys", values.keys, 10)!);
  const seconds = positive("seconds", values.seconds, undefined);
  if (values.checkpoints !== undefined) {
    // A plain path is a directory; a spec (file://, object-store://) is taken as it is.
    const spec = values.checkpoints.includes("://") ? values.checkpoints : `file://${env.resolvePath(values.checkpoints)}`;
    env.enableCheckpointing(1_000).getCheckpointConfig().setCheckpointStorage(spec);
  }

  env
    .fromGenerator<SensorEvent>(
      (i) => ({ sensor: `sensor-${(Math.imul(i, 0x9e3779b1) >>> 0) % keys}`, time: Math.floor((i * 1000) / rate) }),
      { ratePerSecond: rate, count: seconds === undefined ? undefined : Math.round(seconds * rate) },
    )
    .name("sensor-events")
    // Each generator subtask's events are in time order; the watermark follows them.
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<SensorEvent>().withTimestampAssigner((e) => e.time))
    .keyBy((e) => e.sensor)
    .window(SlidingEventTimeWindows.of(4_000, 1_000))
    .aggregate(count, new FormatCount())
    .name("count-per-sensor")
    .print();
});
