// A worker's job artifacts: fetched from the artifact bucket by digest, checked against it, kept
// in a local directory (`<hex>.js`, the bytes as stored) and imported once linked to this worker
// (`<hex>.<link>.mjs`). A fetched artifact whose SHA-256 is not its name is refused and counted
// (`weir_artifact_rejections_total`); so is a missing one.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { contentDigest } from "../checkpoint/content-digest.ts";
import { UnrecoverableError } from "../core/errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricRegistry } from "../observability/metrics.ts";
import type { JobArtifact } from "../messages/schema.ts";
import { ARTIFACT_BUCKET } from "./artifact-store.ts";
import { linkArtifact } from "./artifact-link.ts";

/** Where a worker fetches artifacts from: the artifact bucket, or a stand-in in tests. */
export interface ArtifactSource {
  fetch(digest: string): Promise<Uint8Array | undefined>;
}

export type BundleArtifact = Extract<JobArtifact, { kind: "bundle" }>;

export interface ArtifactCacheOptions {
  /** The local directory (created with mode 0700: the worker imports what it holds). */
  dir: string;
  /** Opened on the first fetch. */
  source: () => Promise<ArtifactSource>;
  metrics: MetricRegistry;
  log: Logger;
  /** Who keeps the cache, as refusals name it (default: "this worker"). */
  holder?: string;
}

export class ArtifactCache {
  private source?: Promise<ArtifactSource>;
  private readonly modules = new Map<string, Promise<unknown>>();

  constructor(private readonly options: ArtifactCacheOptions) {}

  /** Imports the artifact's module (fetching and checking it first if this worker has no copy). */
  import(artifact: BundleArtifact): Promise<unknown> {
    let module = this.modules.get(artifact.digest);
    if (!module) {
      module = this.load(artifact);
      this.modules.set(artifact.digest, module);
      // A failed load is tried again by the next deployment (the bucket may have it by then).
      module.catch(() => this.modules.delete(artifact.digest));
    }
    return module;
  }

  private async load(artifact: BundleArtifact): Promise<unknown> {
    const { dir } = this.options;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const hex = artifact.digest.slice("sha256:".length);
    const bytes = this.cached(join(dir, `${hex}.js`), artifact.digest) ?? (await this.fetch(artifact, join(dir, `${hex}.js`)));
    const linked = await linkArtifact(new TextDecoder().decode(bytes), `${artifact.module} (${artifact.digest})`, this.options.holder);
    const file = join(dir, `${hex}.${createHash("sha256").update(linked).digest("hex").slice(0, 16)}.mjs`);
    if (!existsSync(file)) writeAtomically(file, linked);
    return import(pathToFileURL(file).href);
  }

  /** The cached copy if it is intact; a damaged one is removed and fetched again. */
  private cached(file: string, digest: string): Uint8Array | undefined {
    if (!existsSync(file)) return undefined;
    const bytes = readFileSync(file);
    if (contentDigest(bytes) === digest) return bytes;
    this.options.log.warn({ file, digest }, "a cached job artifact does not match its digest: fetching it again");
    rmSync(file, { force: true });
    return undefined;
  }

  private async fetch(artifact: BundleArtifact, file: string): Promise<Uint8Array> {
    const { digest, module } = artifact;
    this.source ??= this.options.source();
    const bytes = await (await this.source).fetch(digest);
    if (!bytes) {
      this.reject("missing", { digest, module });
      throw new UnrecoverableError(`job artifact ${digest} (${module}) is not in the object store bucket ${ARTIFACT_BUCKET}: it was removed or never uploaded there; submit the job again with \`weir run --nats\``);
    }
    const actual = contentDigest(bytes);
    if (actual !== digest) {
      this.reject("digest-mismatch", { digest, module, actual });
      throw new UnrecoverableError(`job artifact ${digest} (${module}) fetched from bucket ${ARTIFACT_BUCKET} has the digest ${actual}: it was altered or forged, and ${this.options.holder ?? "this worker"} refuses to run it`);
    }
    writeAtomically(file, bytes);
    return bytes;
  }

  private reject(reason: "missing" | "digest-mismatch", detail: Record<string, string>): void {
    const { metrics, log } = this.options;
    metrics.counter("weir_artifact_rejections_total", { reason }).inc();
    if (!metrics.firstTime(`artifact ${reason} ${detail.digest}`)) return;
    log.warn({ reason, ...detail }, reason === "missing" ? "refused a job: its artifact is not in the bucket" : "refused a job artifact whose bytes do not match its digest");
  }
}

/** Writes `file` whole or not at all: a crash leaves no half-written artifact behind. */
function writeAtomically(file: string, data: string | Uint8Array): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, data, { mode: 0o600 });
  renameSync(partial, file);
}
