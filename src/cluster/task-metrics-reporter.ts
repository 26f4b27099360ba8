// Sends the figures of a worker's subtasks to the job manager's monitor, one message per job
// every interval; a subtask that has ended is reported once more with its final figures. It reads
// the subtasks where they run and sits outside the worker actor, so the worker's recorded
// messages stay a function of what it received (traces replay).

import type { ActorRefFrom } from "xstate";
import type { ActorDeps } from "../actors/actor-deps.ts";
import { send } from "../actors/actor-deps.ts";
import type { workerMachine } from "../actors/worker.ts";
import { subjects } from "../bus/subjects.ts";
import type { SubtaskId, TaskSample } from "../messages/schema.ts";

interface Sampled {
  task: SubtaskId;
  sample(): TaskSample;
}

/** The subtasks of a worker whose task exists (initialized, running or ending), by key. */
function liveTasks(worker: ActorRefFrom<typeof workerMachine>): Map<string, Sampled> {
  const live = new Map<string, Sampled>();
  for (const [key, { ref, task }] of Object.entries(worker.getSnapshot().context.tasks)) {
    const stream = ref.getSnapshot().context.task;
    if (stream) live.set(key, { task, sample: () => stream.sample() });
  }
  return live;
}

/** The current figures of the worker's subtasks. */
export function sampleWorker(worker: ActorRefFrom<typeof workerMachine>): { task: SubtaskId; sample: TaskSample }[] {
  return [...liveTasks(worker).values()].map((t) => ({ task: t.task, sample: t.sample() }));
}

/** Reports every `intervalMs` until the returned function is called. */
export function startTaskMetricsReporter(deps: ActorDeps, workerId: string, worker: ActorRefFrom<typeof workerMachine>, intervalMs: number): () => void {
  let timer: unknown;
  let previous = new Map<string, Sampled>();
  const tick = () => {
    const live = liveTasks(worker);
    // Those gone since the last tick are reported once more: their final figures.
    const reported = [...live.values(), ...[...previous].filter(([key]) => !live.has(key)).map(([, t]) => t)];
    previous = live;
    const byJob = new Map<string, { task: SubtaskId; sample: TaskSample }[]>();
    for (const entry of reported) {
      const list = byJob.get(entry.task.jobId) ?? [];
      list.push({ task: entry.task, sample: entry.sample() });
      byJob.set(entry.task.jobId, list);
    }
    const timestamp = deps.clock.now();
    for (const [jobId, tasks] of byJob) send(deps, subjects.taskMetrics(jobId), { type: "task-metrics", jobId, workerId, timestamp, tasks });
    timer = deps.clock.setTimeout(tick, intervalMs);
  };
  timer = deps.clock.setTimeout(tick, intervalMs);
  return () => deps.clock.clearTimeout(timer);
}
