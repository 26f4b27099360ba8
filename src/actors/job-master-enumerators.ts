// The job master's part in FLIP-27 sources: which source vertices have a split enumerator, the
// job's code loaded in the job manager to create them, and taking their state, synchronously, as
// a checkpoint is triggered. The job master spawns one splitEnumeratorMachine per such vertex and
// execution, and stops it when the execution ends.

import type { AnyActorRef } from "xstate";
import { busFor } from "../bus/trace.ts";
import type { CheckpointMetadata, EnumeratorState } from "../checkpoint/checkpoint-metadata.ts";
import type { JobVertexSpec, SubmitJob } from "../messages/schema.ts";
import type { Source } from "../operators/source.ts";
import type { ActorDeps } from "./actor-deps.ts";
import type { SplitEnumeratorInput, EnumeratorSnapshot } from "./split-enumerator.ts";
import type { JobLoader } from "./subtask.ts";

/** The source vertices whose splits an enumerator hands out. */
export function enumeratedVertices(submission: SubmitJob): JobVertexSpec[] {
  return submission.jobGraph.vertices.filter((v) => v.isSource && v.splitEnumerator === true);
}

/** The child actor id of a vertex's enumerator. */
export function enumeratorId(vertexId: string): string {
  return `split-enumerator-${vertexId}`;
}

/** The Source objects of the job's enumerated vertices, from its code (nothing is loaded for jobs without any). */
export async function loadSources(submission: SubmitJob, loadJob: JobLoader | undefined): Promise<Record<string, Source<unknown>>> {
  const vertices = enumeratedVertices(submission);
  if (vertices.length === 0) return {};
  if (!loadJob) throw new Error(`${vertices[0].name} has a split enumerator, which runs in the job manager, and this job manager cannot load the job's code`);
  const graph = await loadJob({ task: { jobId: submission.jobId }, artifact: submission.artifact, jobGraph: submission.jobGraph });
  const sources: Record<string, Source<unknown>> = {};
  for (const vertex of vertices) {
    const source = graph.node(vertex.nodes[0]).source;
    if (!source?.createEnumerator) throw new Error(`${vertex.name}: the job's code has no split enumerator for this source`);
    sources[vertex.id] = source;
  }
  return sources;
}

/** The input of one vertex's enumerator for execution `attempt`, restored from `restoreFrom`'s state if it holds one. */
export function enumeratorInput(deps: ActorDeps, submission: SubmitJob, vertex: JobVertexSpec, source: Source<unknown>, attempt: number, restoreFrom: CheckpointMetadata | undefined): SplitEnumeratorInput {
  const uid = vertex.operatorUids[0];
  const restored = restoreFrom?.enumerators?.find((e) => e.uid === uid);
  return {
    // An actor of its own in recorded traces.
    deps: { ...deps, bus: busFor(deps.bus, `split-enumerator/${submission.jobId}/${vertex.id}`), log: deps.log.child({ actor: "split-enumerator", vertexId: vertex.id }) },
    jobId: submission.jobId,
    secret: submission.secret,
    vertex,
    source,
    attempt,
    ...(restored ? { restoredState: restored.state } : {}),
  };
}

/**
 * Takes every enumerator's state for `checkpointId`. SNAPSHOT is handled at once (nothing else runs
 * in between), so the state read back is that checkpoint's; anything else is a bug, said loudly.
 */
export function takeEnumeratorStates(parent: AnyActorRef, vertices: readonly JobVertexSpec[], checkpointId: number): EnumeratorState[] {
  const states: EnumeratorState[] = [];
  for (const vertex of vertices) {
    const child: AnyActorRef | undefined = parent.getSnapshot().children[enumeratorId(vertex.id)];
    if (!child) continue;
    child.send({ type: "SNAPSHOT", checkpointId });
    const taken = (child.getSnapshot() as { context: { snapshot?: EnumeratorSnapshot } }).context.snapshot;
    if (taken?.checkpointId !== checkpointId) throw new Error(`the split enumerator of ${vertex.name} did not take its state for checkpoint ${checkpointId}`);
    states.push({ uid: vertex.operatorUids[0], state: taken.state });
  }
  return states;
}
