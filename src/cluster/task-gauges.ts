// A worker's subtasks' figures as Prometheus gauges (one series per subtask; Prometheus derives
// rates with rate()).

import type { SubtaskId, TaskSample } from "../messages/schema.ts";
import type { GaugeSample } from "../observability/prometheus.ts";

const GAUGES: readonly [keyof TaskSample, string, string][] = [
  ["recordsIn", "weir_task_records_in", "Records a subtask has taken from its inputs"],
  ["recordsOut", "weir_task_records_out", "Records a subtask has sent on its output channels"],
  ["bytesIn", "weir_task_bytes_in", "Bytes of frames a subtask has received"],
  ["bytesOut", "weir_task_bytes_out", "Bytes of frames a subtask has sent"],
  ["busyMs", "weir_task_busy_ms", "Milliseconds a subtask has spent processing"],
  ["backPressuredMs", "weir_task_backpressured_ms", "Milliseconds a subtask has waited for credit downstream"],
  ["inputWatermark", "weir_task_input_watermark", "A subtask's lowest input watermark (event time, epoch ms)"],
  ["outputWatermark", "weir_task_output_watermark", "The last watermark a subtask sent (event time, epoch ms)"],
  ["queuedFrames", "weir_task_queued_frames", "Frames received by a subtask and not yet processed"],
  ["framesAwaitingCredit", "weir_task_frames_awaiting_credit", "Frames a subtask holds until its consumers grant credit"],
];

export function taskGauges(samples: readonly { task: SubtaskId; sample: TaskSample }[]): GaugeSample[] {
  const gauges: GaugeSample[] = [];
  for (const { task, sample } of samples) {
    const labels = { job: task.jobId, vertex: task.vertexId, subtask: String(task.subtaskIndex) };
    for (const [field, name, help] of GAUGES) {
      const value = sample[field];
      if (Number.isFinite(value)) gauges.push({ name, help, labels, value });
    }
  }
  return gauges;
}
