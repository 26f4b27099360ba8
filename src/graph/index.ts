// StreamGraph (what the API builds) and JobGraph (operators chained into vertices).
export * from "./stream-graph.ts";
export * from "./job-graph.ts";
