// How the dashboard talks to the job manager's REST API (same origin): polling reads, and the
// buttons' requests, which carry the token the job manager logged (`#token=…` in the URL).

import { useEffect, useState } from "preact/hooks";

const TOKEN_KEY = "weir-rest-token";

/** Moves `#token=…` from the address into sessionStorage, so it is not left in the address bar. */
export function takeTokenFromUrl(): void {
  const match = /(?:^#|[#&/])token=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  const rest = location.hash.replace(match[0], "").replace(/^#?&?/, "");
  history.replaceState(null, "", `${location.pathname}${location.search}#${rest.startsWith("/") ? rest : "/"}`);
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(errorOf(body, response.status));
  return body as T;
}

export type ControlOutcome = { ok: true; body: { location?: string } } | { ok: false; error: string };

/** A mutating request with the stored token; resolves with the answer or the server's reason. */
export async function control(method: "POST" | "PATCH", path: string, body?: object): Promise<ControlOutcome> {
  const token = storedToken();
  if (!token) return { ok: false, error: "no token: paste the job manager's token (it logs it at startup) into the token field" };
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer: unknown = await response.json().catch(() => ({}));
  return response.ok ? { ok: true, body: answer as { location?: string } } : { ok: false, error: errorOf(answer, response.status) };
}

function errorOf(body: unknown, status: number): string {
  const error = typeof body === "object" && body !== null && "error" in body ? body.error : undefined;
  return typeof error === "string" ? error : `HTTP ${status}`;
}

export interface Polled<T> {
  data?: T;
  error?: string;
}

/** GETs `path` now and every `intervalMs` after each answer; a new path starts over; null asks nothing. */
export function usePoll<T>(path: string | null, intervalMs = 1000): Polled<T> {
  const [state, setState] = useState<Polled<T>>({});
  useEffect(() => {
    setState({});
    if (path === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const data = await getJson<T>(path);
        if (!stopped) setState({ data });
      } catch (error) {
        if (!stopped) setState((previous) => ({ data: previous.data, error: (error as Error).message }));
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, intervalMs]);
  return state;
}
