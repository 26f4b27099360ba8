// The dashboard's shell: the header with navigation and the token field, and a page per address
// (#/ the cluster, #/jobs the job list, #/jobs/<id> a job).

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { storedToken, storeToken, takeTokenFromUrl } from "./api.ts";
import { JobTable, OverviewPage } from "./cluster-pages.tsx";
import { JobPage } from "./job-page.tsx";
import "./style.css";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function TokenField() {
  const [token, setToken] = useState(storedToken() ?? "");
  const [saved, setSaved] = useState(storedToken() !== null);
  if (saved) {
    return (
      <button type="button" class="token-set link" onClick={() => setSaved(false)} title="the token the buttons send">
        token set
      </button>
    );
  }
  return (
    <form
      class="token-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!token.trim()) return;
        storeToken(token);
        setSaved(true);
      }}
    >
      <input class="token-input" type="password" autocomplete="off" placeholder="paste the job manager's token" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      <button type="submit">use token</button>
    </form>
  );
}

function App() {
  const hash = useHash();
  const job = /^#\/jobs\/([^/?#]+)/.exec(hash);
  const page = job ? (
    <JobPage jobId={decodeURIComponent(job[1])} />
  ) : hash.startsWith("#/jobs") ? (
    <section>
      <h2>Jobs</h2>
      <JobTable />
    </section>
  ) : (
    <OverviewPage />
  );
  return (
    <>
      <header class="top">
        <h1>
          <a href="#/">weir</a>
        </h1>
        <nav>
          <a href="#/" class={job || hash.startsWith("#/jobs") ? "" : "active"}>
            cluster
          </a>
          <a href="#/jobs" class={hash.startsWith("#/jobs") ? "active" : ""}>
            jobs
          </a>
          <a href="./openapi.json">API</a>
        </nav>
        <TokenField />
      </header>
      <main>{page}</main>
    </>
  );
}

takeTokenFromUrl();
render(<App />, document.getElementById("app")!);
