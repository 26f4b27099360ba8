// The dashboard in Debian's Chromium, on a live cluster (NATS, a job manager and a worker process):
// the cluster page shows the worker and the job; the job page draws the submitted graph's vertices
// by name with figures that move while it runs; the Savepoint button takes a savepoint that then
// appears in the checkpoint history; Cancel ends the job. Screenshots go to docs/images with
// WEIR_UPDATE_SCREENSHOTS=1.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restEndpointOf, startJobManagerProcess, startNatsServer, startWorkerProcess, type NatsServerHandle, type WeirProcess } from "../../src/testing/index.ts";
import type { JobClient } from "../../src/api/executor.ts";
import type { JobGraphSpec } from "../../src/messages/schema.ts";
import { submitJobModule } from "../rest/cluster-job.ts";
import { ensureWebBuilt } from "./web-build.ts";

/** The screenshots docs/dashboard.md shows are refreshed with WEIR_UPDATE_SCREENSHOTS=1; otherwise they go to a temporary folder. */
const IMAGES = process.env.WEIR_UPDATE_SCREENSHOTS === "1" ? join(import.meta.dirname, "..", "..", "docs", "images") : mkdtempSync(join(tmpdir(), "weir-dashboard-shots-"));
const POLL = { timeout: 30_000, interval: 200 };

/** A number as the dashboard writes it ("12,345"). */
const numberIn = async (page: Page, selector: string) => Number((await page.locator(selector).first().textContent())?.replaceAll(",", "") ?? Number.NaN);

describe("the dashboard, on a live cluster", () => {
  let server: NatsServerHandle;
  const processes: WeirProcess[] = [];
  let browser: Browser;
  let rest: { url: string; token: string };
  let job: { client: JobClient; jobGraph: JobGraphSpec };
  const dir = mkdtempSync(join(tmpdir(), "weir-dashboard-"));

  beforeAll(async () => {
    const [nats] = await Promise.all([startNatsServer(), ensureWebBuilt()]);
    server = nats;
    const jobManager = await startJobManagerProcess(server.url, ["--savepoint-dir", join(dir, "savepoints")]);
    processes.push(jobManager, await startWorkerProcess(server.url, 4, "dash-w"));
    rest = restEndpointOf(jobManager);
    job = await submitJobModule(server.url, "test/fixtures/jobs/endless-checkpointed.ts", ["--checkpoints", join(dir, "checkpoints"), "--rate", "300"], "dashboard-counts");
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless"] });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the job's graph with live figures, takes a savepoint from its button and cancels the job", async () => {
    const jobId = job.client.jobId;
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    // A locator that finds nothing fails fast, so that expect.poll asks again.
    page.setDefaultTimeout(5_000);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${rest.url}/#token=${encodeURIComponent(rest.token)}`);

    // The cluster page: the worker with its slots, the job running.
    await expect.poll(() => page.locator('tr[data-worker="dash-w"] td').first().textContent(), POLL).toBe("dash-w");
    await expect.poll(() => page.locator(`tr[data-job-id="${jobId}"] .status`).textContent(), POLL).toBe("running");
    expect(await page.locator('[data-tile="workers"] .tile-value').textContent()).toBe("1");
    // The token moved from the address into sessionStorage.
    expect(page.url()).toBe(`${rest.url}/#/`);
    await page.screenshot({ path: join(IMAGES, "dashboard-overview.png") });

    // The job page: every submitted vertex by name, with its parallelism.
    await page.click(`tr[data-job-id="${jobId}"] a`);
    const expected = job.jobGraph.vertices.map((v) => `${v.name} / parallelism ${v.parallelism}`).sort();
    await expect
      .poll(async () => {
        const boxes = await page.locator("button.vertex").all();
        return (await Promise.all(boxes.map(async (b) => `${await b.locator(".vertex-name").textContent()} / ${await b.locator(".vertex-parallelism").textContent()}`))).sort();
      }, POLL)
      .toEqual(expected);

    // Live figures: the source's records out grow between polls, and its rate is not zero.
    const source = job.jobGraph.vertices.find((v) => v.isSource)!;
    await page.click(`button.vertex[data-vertex-id="${source.id}"]`);
    await expect.poll(() => page.locator(".selected-vertex").textContent(), POLL).toBe(source.name);
    await expect.poll(() => numberIn(page, 'tr[data-subtask="0"] .records-out'), POLL).toBeGreaterThan(0);
    const before = await numberIn(page, 'tr[data-subtask="0"] .records-out');
    await expect.poll(() => numberIn(page, 'tr[data-subtask="0"] .records-out'), POLL).toBeGreaterThan(before);
    await expect.poll(() => page.locator(`button.vertex[data-vertex-id="${source.id}"] .records-out-rate`).textContent(), POLL).not.toBe("0/s");
    // Each subtask's backpressure level, from GET /jobs/:id/vertices/:vertexId/backpressure.
    await expect.poll(() => page.locator('tr[data-subtask="1"] .level').textContent(), POLL).toMatch(/^(ok|low|high)$/);

    // A savepoint from the button (into the job manager's --savepoint-dir), then in the history.
    await page.click("button.savepoint");
    const outcome = page.locator(".outcome");
    await outcome.waitFor({ timeout: 60_000 });
    const text = (await outcome.textContent()) ?? "";
    expect(text).toMatch(/^savepoint: /);
    const location = text.slice("savepoint: ".length);
    expect(location).toContain(join(dir, "savepoints", `savepoint-${jobId.slice(0, 6)}-`));
    // The history names the savepoint as its reply does.
    const row = page.locator("tr[data-checkpoint-id]", { hasText: location });
    await expect.poll(() => row.locator("td").nth(1).textContent(), POLL).toBe("savepoint");
    expect(await row.locator("td").nth(2).textContent()).toBe("completed");
    await page.screenshot({ path: join(IMAGES, "dashboard-job.png") });
    await page.locator(".checkpoints").screenshot({ path: join(IMAGES, "dashboard-checkpoints.png") });

    // Cancel, confirmed in the browser's dialog: the job ends as canceled.
    page.once("dialog", (dialog) => dialog.accept());
    await page.click("button.cancel");
    await expect.poll(() => page.locator(".job-header .status").textContent(), POLL).toBe("canceled");
    expect(errors).toEqual([]);
  });
});
