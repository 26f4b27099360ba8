// One job: its status and buttons, its graph, the selected vertex's subtasks, live throughput and
// watermark charts (from polling /jobs/:id every second), checkpoints and exceptions.

import { useEffect, useRef, useState } from "preact/hooks";
import type { JobDetails } from "../../src/observability/views.ts";
import type { Backpressure } from "../../src/rest/rest-schemas.ts";
import { usePoll } from "./api.ts";
import { Chart } from "./chart.tsx";
import { CheckpointHistory } from "./checkpoints.tsx";
import { duration, time } from "./format.ts";
import { JobControls } from "./job-controls.tsx";
import { JobGraph } from "./job-graph.tsx";
import { ExceptionTable, SubtaskTable } from "./job-tables.tsx";

const KEEP_SAMPLES = 180;

interface Samples {
  vertexIds: string[];
  data: (number | null)[][];
}

/** One column per poll: records out per second and watermark lag (s) of every vertex. */
function useSamples(job: JobDetails | undefined): { throughput: Samples; lag: Samples } {
  const history = useRef<{ key: string; throughput: Samples; lag: Samples } | null>(null);
  const [, setVersion] = useState(0);
  useEffect(() => {
    if (!job) return;
    const ids = job.plan.vertices.map((v) => v.id);
    const key = `${job.id}/${ids.join(",")}`;
    if (history.current?.key !== key) {
      const empty = (): Samples => ({ vertexIds: ids, data: [[], ...ids.map(() => [])] });
      history.current = { key, throughput: empty(), lag: empty() };
    }
    const now = Date.now();
    const push = (samples: Samples, values: (number | null)[]) => {
      const data = [[...samples.data[0], now / 1000], ...values.map((value, i) => [...samples.data[i + 1], value])];
      samples.data = data.map((column) => column.slice(-KEEP_SAMPLES));
    };
    push(history.current.throughput, job.plan.vertices.map((v) => (isSink(job, v.id) ? v.metrics.recordsInPerSecond : v.metrics.recordsOutPerSecond)));
    push(
      history.current.lag,
      job.plan.vertices.map((v) => {
        const watermark = v.metrics.outputWatermark ?? v.metrics.inputWatermark;
        return watermark === null || watermark >= 8.64e15 ? null : Math.max(0, now - watermark) / 1000;
      }),
    );
    setVersion((v) => v + 1);
  }, [job]);
  const none = { vertexIds: [], data: [[]] };
  return { throughput: history.current?.throughput ?? none, lag: history.current?.lag ?? none };
}

/** A vertex no edge leaves: its records end there, so its throughput is what comes in. */
function isSink(job: JobDetails, vertexId: string): boolean {
  return !job.plan.edges.some((e) => e.source === vertexId);
}

export function JobPage({ jobId }: { jobId: string }) {
  const path = `/jobs/${encodeURIComponent(jobId)}`;
  const { data: job, error } = usePoll<JobDetails>(path);
  const [selected, setSelected] = useState<string | undefined>();
  const samples = useSamples(job);
  const vertex = job?.plan.vertices.find((v) => v.id === selected) ?? job?.plan.vertices[0];
  const backpressure = usePoll<Backpressure>(vertex ? `${path}/vertices/${encodeURIComponent(vertex.id)}/backpressure` : null);
  if (!job) return <p class={error ? "error" : "loading"}>{error ?? "loading…"}</p>;
  const names = new Map(job.plan.vertices.map((v) => [v.id, v.name]));
  const now = Date.now();
  return (
    <section class="job">
      <header class="job-header">
        <h2>
          {job.name} <span class={`status status-${job.status}`}>{job.status}</span>
        </h2>
        <p class="muted">
          job <code>{job.id}</code> · started {time(job.startTime)} · {job.endTime ? `ran ${duration(job.durationMs)}` : `running for ${duration(job.durationMs)}`} · parallelism {job.parallelism} · {job.restarts} restarts
        </p>
        {error && <p class="error">{error}</p>}
        {job.error && <p class="error">{job.error}</p>}
        <JobControls job={job} />
      </header>

      <h3>Graph</h3>
      <div class="graph-box">
        <JobGraph plan={job.plan} now={now} selected={vertex?.id} onSelect={setSelected} />
      </div>

      {vertex && (
        <>
          <h3>
            Subtasks of <span class="selected-vertex">{vertex.name}</span>
          </h3>
          <SubtaskTable vertex={vertex} now={now} backpressure={backpressure.data} />
        </>
      )}

      <h3>Live</h3>
      <div class="charts">
        <Chart
          title="records per second (out; in for sinks)"
          series={samples.throughput.vertexIds.map((id) => ({ label: `${names.get(id) ?? id} (${isSink(job, id) ? "in" : "out"})` }))}
          data={samples.throughput.data}
          yLabel="records/s"
        />
        <Chart title="watermark lag (s)" series={samples.lag.vertexIds.map((id) => ({ label: names.get(id) ?? id }))} data={samples.lag.data} yLabel="seconds" />
      </div>

      <h3>Checkpoints</h3>
      <CheckpointHistory checkpoints={job.checkpoints} />

      <h3>Exceptions</h3>
      <ExceptionTable exceptions={job.exceptions} />
    </section>
  );
}
