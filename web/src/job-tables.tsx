// A vertex's subtasks with their figures, and a job's exceptions.

import type { ExceptionView, SubtaskMetrics, SubtaskView, VertexView } from "../../src/observability/views.ts";
import type { Backpressure } from "../../src/rest/rest-schemas.ts";
import { count, duration, rate, time, watermarkLag } from "./format.ts";

/** A vertex's subtasks; `backpressure` (GET …/backpressure, Flink's levels) when it has come. */
export function SubtaskTable({ vertex, now, backpressure }: { vertex: VertexView; now: number; backpressure?: Backpressure }) {
  return (
    <table class="subtasks">
      <thead>
        <tr>
          <th>#</th>
          <th>state</th>
          <th>worker</th>
          <th class="num">records in</th>
          <th class="num">records out</th>
          <th class="num">in</th>
          <th class="num">out</th>
          <th class="num">busy</th>
          <th class="num">backpressured</th>
          <th>level</th>
          <th class="num">queued</th>
          <th>watermark</th>
        </tr>
      </thead>
      <tbody>
        {vertex.subtasks.map((s) => (
          <SubtaskRow key={s.index} subtask={s} now={now} level={backpressure?.subtasks.find((b) => b.subtask === s.index)?.backpressureLevel} />
        ))}
      </tbody>
    </table>
  );
}

function SubtaskRow({ subtask: s, now, level }: { subtask: SubtaskView; now: number; level?: string }) {
  const m: SubtaskMetrics | null = s.metrics;
  return (
    <tr data-subtask={s.index}>
      <td>{s.index}</td>
      <td class={`state-${s.state}`}>{s.state}</td>
      <td>{s.workerId ?? "–"}</td>
      <td class="num records-in">{m ? count(m.recordsIn) : "–"}</td>
      <td class="num records-out">{m ? count(m.recordsOut) : "–"}</td>
      <td class="num">{m ? rate(m.recordsInPerSecond) : "–"}</td>
      <td class="num">{m ? rate(m.recordsOutPerSecond) : "–"}</td>
      <td class="num">{m ? `${duration(m.busyMsPerSecond)}/s` : "–"}</td>
      <td class="num">{m ? `${duration(m.backPressuredMsPerSecond)}/s` : "–"}</td>
      <td>{level ? <span class={`level level-${level}`}>{level}</span> : "–"}</td>
      <td class="num">{m ? count(m.queuedFrames) : "–"}</td>
      <td>{m ? watermarkLag(m.outputWatermark ?? m.inputWatermark, now) : "–"}</td>
    </tr>
  );
}

export function ExceptionTable({ exceptions }: { exceptions: ExceptionView[] }) {
  if (exceptions.length === 0) return <p class="muted">No exceptions.</p>;
  return (
    <table class="exceptions">
      <thead>
        <tr>
          <th>time</th>
          <th>task</th>
          <th>worker</th>
          <th>message</th>
        </tr>
      </thead>
      <tbody>
        {exceptions.map((e, i) => (
          <tr key={`${e.timestamp}-${i}`}>
            <td>{time(e.timestamp)}</td>
            <td>{e.task ?? "–"}</td>
            <td>{e.workerId ?? "–"}</td>
            <td>
              <pre>{e.message}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
