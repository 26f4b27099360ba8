// The cluster overview (workers, slots, jobs by status) and the job list.

import type { JobSummary, Overview, WorkerView } from "../../src/observability/views.ts";
import { usePoll } from "./api.ts";
import { duration, time } from "./format.ts";

export function OverviewPage() {
  const overview = usePoll<Overview>("/overview");
  const workers = usePoll<{ workers: WorkerView[] }>("/taskmanagers");
  const o = overview.data;
  return (
    <section>
      <h2>Cluster</h2>
      {overview.error && <p class="error">{overview.error}</p>}
      {o && (
        <div class="tiles">
          <Tile label="workers" value={o.workers} />
          <Tile label="slots available" value={`${o.slotsAvailable} / ${o.slotsTotal}`} />
          {Object.entries(o.jobs).map(([status, n]) => (
            <Tile key={status} label={`jobs ${status}`} value={n} />
          ))}
          <Tile label="version" value={o.version} />
        </div>
      )}
      <h2>Workers</h2>
      {workers.data && <WorkerTable workers={workers.data.workers} />}
      <h2>Jobs</h2>
      <JobTable />
    </section>
  );
}

function Tile({ label, value }: { label: string; value: string | number }) {
  return (
    <div class="tile" data-tile={label}>
      <div class="tile-value">{value}</div>
      <div class="tile-label">{label}</div>
    </div>
  );
}

function WorkerTable({ workers }: { workers: WorkerView[] }) {
  if (workers.length === 0) return <p class="muted">No worker has registered.</p>;
  return (
    <table class="workers">
      <thead>
        <tr>
          <th>worker</th>
          <th>host</th>
          <th class="num">pid</th>
          <th>slots</th>
          <th>last heartbeat</th>
        </tr>
      </thead>
      <tbody>
        {workers.map((w) => (
          <tr key={w.id} data-worker={w.id}>
            <td>{w.id}</td>
            <td>{w.host}</td>
            <td class="num">{w.pid}</td>
            <td>
              <span class="slots" title={`${w.usedSlots} of ${w.slots} slots used`}>
                {Array.from({ length: w.slots }, (_, i) => (
                  <span key={i} class={i < w.usedSlots ? "slot used" : "slot"} />
                ))}
              </span>{" "}
              {w.usedSlots}/{w.slots}
            </td>
            <td>{time(w.lastHeartbeat)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function JobTable() {
  const { data, error } = usePoll<{ jobs: JobSummary[] }>("/jobs");
  if (error && !data) return <p class="error">{error}</p>;
  if (!data) return <p class="loading">loading…</p>;
  if (data.jobs.length === 0) return <p class="muted">No jobs yet: submit one with `weir run job.ts --nats &lt;url&gt;`.</p>;
  return (
    <table class="jobs">
      <thead>
        <tr>
          <th>name</th>
          <th>status</th>
          <th>started</th>
          <th class="num">duration</th>
          <th class="num">parallelism</th>
          <th>tasks</th>
          <th class="num">restarts</th>
        </tr>
      </thead>
      <tbody>
        {data.jobs.map((job) => (
          <tr key={job.id} data-job-id={job.id}>
            <td>
              <a href={`#/jobs/${job.id}`}>{job.name}</a>
            </td>
            <td>
              <span class={`status status-${job.status}`}>{job.status}</span>
            </td>
            <td>{time(job.startTime)}</td>
            <td class="num">{duration(job.durationMs)}</td>
            <td class="num">{job.parallelism}</td>
            <td>
              {Object.entries(job.tasks)
                .filter(([, n]) => n > 0)
                .map(([state, n]) => `${n} ${state}`)
                .join(", ")}
            </td>
            <td class="num">{job.restarts}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
