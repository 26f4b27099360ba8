// The buttons that change a job: savepoint, stop with a savepoint, cancel. They send the token the
// job manager logged; without one, the token field in the header asks for it.

import { useState } from "preact/hooks";
import type { JobDetails } from "../../src/observability/views.ts";
import { control, type ControlOutcome } from "./api.ts";

const ENDED = new Set(["finished", "canceled", "failed"]);

export function JobControls({ job }: { job: JobDetails }) {
  const [directory, setDirectory] = useState("");
  const [drain, setDrain] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ action: string; result: ControlOutcome } | null>(null);
  if (ENDED.has(job.status)) return null;

  const path = `/jobs/${encodeURIComponent(job.id)}`;
  const target = directory.trim() ? { targetDirectory: directory.trim() } : {};
  const act = async (action: string, request: () => Promise<ControlOutcome>) => {
    setBusy(action);
    setOutcome(null);
    try {
      setOutcome({ action, result: await request() });
    } catch (error) {
      setOutcome({ action, result: { ok: false, error: (error as Error).message } });
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="controls">
      <label>
        savepoint directory{" "}
        <input class="savepoint-dir" placeholder="default: the job manager's --savepoint-dir" value={directory} onInput={(e) => setDirectory(e.currentTarget.value)} />
      </label>
      <button type="button" class="savepoint" disabled={busy !== null} onClick={() => act("savepoint", () => control("POST", `${path}/savepoints`, target))}>
        {busy === "savepoint" ? "taking a savepoint…" : "Savepoint"}
      </button>
      <label>
        <input type="checkbox" checked={drain} onChange={(e) => setDrain(e.currentTarget.checked)} /> drain
      </label>
      <button type="button" class="stop" disabled={busy !== null} onClick={() => act("stop", () => control("POST", `${path}/stop`, { ...target, drain }))}>
        {busy === "stop" ? "stopping…" : "Stop with savepoint"}
      </button>
      <button
        type="button"
        class="cancel danger"
        disabled={busy !== null}
        onClick={() => confirm(`Cancel job ${job.name}?`) && act("cancel", () => control("PATCH", `${path}?mode=cancel`))}
      >
        Cancel
      </button>
      {outcome && (
        <p class={outcome.result.ok ? "outcome ok" : "outcome error"}>
          {outcome.result.ok ? `${outcome.action}: ${outcome.result.body.location ?? "accepted"}` : `${outcome.action} failed: ${outcome.result.error}`}
        </p>
      )}
    </div>
  );
}
