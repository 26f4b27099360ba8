// The job manager's REST API and web dashboard.
export { startRestServer, buildRestApp, type RestServerOptions, type RunningRestServer } from "./rest-server.ts";
