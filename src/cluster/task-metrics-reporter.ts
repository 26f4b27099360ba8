// Sends the figures of a worker's subtasks to the job manager's monitor, one message per job
// every interval. It watches the worker actor's task set, so every subtask that ends is reported
// once more at once with its final figures, however short its life (one that starts and ends
// between two ticks included). It reads the subtasks where they run and sits outside the worker
// actor, so the worker's recorded messages stay a function of what it received (traces replay).

import type { ActorRefFrom, SnapshotFrom } from "xstate";
import type { ActorDeps } from "../actors/actor-deps.ts";
import { send } from "../actors/actor-deps.ts";
import type { workerMachine } from "../actors/worker.ts";
import { subjects } from "../bus/subjects.ts";
import type { SubtaskId, TaskSample } from "../messages/schema.ts";

type WorkerRef = ActorRefFrom<typeof workerMachine>;
type WorkerTasks = SnapshotFrom<typeof workerMachine>["context"]["tasks"];

interface Figures {
  task: SubtaskId;
  sample: TaskSample;
}

/** The figures of the given subtasks whose task exists (initialized, running or ended). */
function sampleTasks(tasks: Iterable<WorkerTasks[string]>): Figures[] {
  const figures: Figures[] = [];
  for (const { ref, task } of tasks) {
    const stream = ref.getSnapshot().context.task;
    if (stream) figures.push({ task, sample: stream.sample() });
  }
  return figures;
}

/** The current figures of the worker's subtasks. */
export function sampleWorker(worker: WorkerRef): Figures[] {
  return sampleTasks(Object.values(worker.getSnapshot().context.tasks));
}

/** Reports every `intervalMs`, and each subtask once more as it ends, until the returned function is called. */
export function startTaskMetricsReporter(deps: ActorDeps, workerId: string, worker: WorkerRef, intervalMs: number): () => void {
  const report = (figures: Figures[]) => {
    const byJob = new Map<string, Figures[]>();
    for (const entry of figures) byJob.set(entry.task.jobId, [...(byJob.get(entry.task.jobId) ?? []), entry]);
    const timestamp = deps.clock.now();
    for (const [jobId, tasks] of byJob) send(deps, subjects.taskMetrics(jobId), { type: "task-metrics", jobId, workerId, timestamp, tasks });
  };
  // The worker drops a subtask from its task set once the subtask actor has ended: its figures are final.
  let known: WorkerTasks = worker.getSnapshot().context.tasks;
  const watch = worker.subscribe({
    next: (snapshot) => {
      const tasks = snapshot.context.tasks;
      if (tasks === known) return;
      const gone = Object.entries(known).filter(([key]) => !(key in tasks));
      known = tasks;
      if (gone.length > 0) report(sampleTasks(gone.map(([, entry]) => entry)));
    },
    // The worker's own failure is its owner's to handle (startWorker observes it).
    error: () => undefined,
  });
  let timer: unknown;
  const tick = () => {
    report(sampleWorker(worker));
    timer = deps.clock.setTimeout(tick, intervalMs);
  };
  timer = deps.clock.setTimeout(tick, intervalMs);
  return () => {
    deps.clock.clearTimeout(timer);
    watch.unsubscribe();
  };
}
