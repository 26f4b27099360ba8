// A job's checkpoints: counts, a timeline of duration, size and alignment, and the history table.

import { useState } from "preact/hooks";
import type { CheckpointView, JobDetails, SubtaskCheckpointView } from "../../src/observability/views.ts";

type CheckpointsView = JobDetails["checkpoints"];
import { Chart } from "./chart.tsx";
import { bytes, duration, time } from "./format.ts";

const TIMELINE_SERIES = [{ label: "duration (ms)", points: true }, { label: "max alignment (ms)" }, { label: "size (KiB)", axis: "right" as const }];

export function CheckpointHistory({ checkpoints }: { checkpoints: CheckpointsView }) {
  const { counts, history } = checkpoints;
  const [open, setOpen] = useState<number | null>(null);
  const oldestFirst = [...history].reverse();
  const timeline = [oldestFirst.map((c) => c.id), oldestFirst.map((c) => c.durationMs), oldestFirst.map((c) => c.maxAlignmentMs), oldestFirst.map((c) => c.bytes / 1024)];
  return (
    <div class="checkpoints">
      <p class="checkpoint-counts">
        <span>completed {counts.completed}</span> · <span>failed {counts.failed}</span> · <span>aborted {counts.aborted ?? 0}</span> · <span>in progress {counts.inProgress}</span>
      </p>
      {history.length > 0 && <Chart title="checkpoints by id" series={TIMELINE_SERIES} data={timeline} time={false} yLabel="ms" rightLabel="KiB" />}
      <table class="checkpoint-history">
        <thead>
          <tr>
            <th>id</th>
            <th>kind</th>
            <th>status</th>
            <th>triggered</th>
            <th class="num">duration</th>
            <th class="num">size</th>
            <th class="num">max alignment</th>
            <th class="num">acks</th>
            <th>location / failure</th>
          </tr>
        </thead>
        <tbody>
          {history.map((c) => (
            <CheckpointRow key={c.id} checkpoint={c} open={open === c.id} onToggle={() => setOpen(open === c.id ? null : c.id)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CheckpointRow({ checkpoint: c, open, onToggle }: { checkpoint: CheckpointView; open: boolean; onToggle: () => void }) {
  return (
    <>
      <tr data-checkpoint-id={c.id} onClick={onToggle} class="clickable" title="per-subtask figures">
        <td>{c.id}</td>
        <td>{c.savepoint ? "savepoint" : "checkpoint"}</td>
        <td class={`checkpoint-${c.status}`}>{c.status.replace("_", " ")}</td>
        <td>{time(c.triggeredAt)}</td>
        <td class="num">{duration(c.durationMs)}</td>
        <td class="num">{bytes(c.bytes)}</td>
        <td class="num">{duration(c.maxAlignmentMs)}</td>
        <td class="num">
          {c.acknowledged}/{c.total}
        </td>
        <td class="location">{c.failure ?? c.location ?? ""}</td>
      </tr>
      {open && (
        <tr>
          <td colSpan={9}>
            <SubtaskCheckpoints subtasks={c.subtasks} />
          </td>
        </tr>
      )}
    </>
  );
}

function SubtaskCheckpoints({ subtasks }: { subtasks: SubtaskCheckpointView[] }) {
  if (subtasks.length === 0) return <p class="muted">No subtask has acknowledged it.</p>;
  return (
    <table class="subtask-checkpoints">
      <thead>
        <tr>
          <th>vertex</th>
          <th class="num">subtask</th>
          <th class="num">sync</th>
          <th class="num">async</th>
          <th class="num">alignment</th>
          <th class="num">size</th>
        </tr>
      </thead>
      <tbody>
        {subtasks.map((s) => (
          <tr key={`${s.vertexId}/${s.subtaskIndex}`}>
            <td>{s.vertexId}</td>
            <td class="num">{s.subtaskIndex}</td>
            <td class="num">{duration(s.syncMs)}</td>
            <td class="num">{duration(s.asyncMs)}</td>
            <td class="num">{duration(s.alignmentMs)}</td>
            <td class="num">{bytes(s.bytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
